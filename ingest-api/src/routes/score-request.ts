import { type ErrorDetail, invalidRequest, issuesToDetails } from '@rankstream/schemas';
import { type DraftContext, draftScoreEvents, type ScoreDraft, type ScoreItem } from '../domain/score-requests.js';
import { parseBody } from './request-body.js';
import { batchEnvelopeSchema, scoreItemSchema } from './request-schemas.js';

/** A body with an `events` field is a batch; anything else is judged as one event. */
function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'events');
}

/**
 * A POST /v1/events body to drafts, or a 400 listing every problem of every item: each item is
 * judged on its own, shape first, then what needs the clock (occurredAt window), metadata size and
 * eventIds repeated within the request. `pathOf(i)` is draft i's path prefix in error details.
 */
export function parseScoreRequest(
  body: unknown,
  ctx: Omit<DraftContext, 'pathOf'>,
): { drafts: ScoreDraft[]; pathOf: (i: number) => (string | number)[] } {
  const batch = isBatch(body);
  const raw: unknown[] = batch ? parseBody(batchEnvelopeSchema, body).events : [body];
  const prefixOf = (i: number) => (batch ? ['events', i] : []);
  const details: ErrorDetail[] = [];
  const items: ScoreItem[] = [];
  const indices: number[] = [];
  raw.forEach((candidate, i) => {
    const parsed = scoreItemSchema.safeParse(candidate);
    if (parsed.success) {
      items.push(parsed.data);
      indices.push(i);
    } else {
      details.push(...issuesToDetails(parsed.error.issues, prefixOf(i)));
    }
  });
  const pathOf = (j: number) => prefixOf(indices[j]!);
  const drafted = draftScoreEvents(items, { ...ctx, pathOf });
  if (!drafted.ok) details.push(...drafted.details);
  if (details.length || !drafted.ok) throw invalidRequest(details);
  return { drafts: drafted.drafts, pathOf };
}
