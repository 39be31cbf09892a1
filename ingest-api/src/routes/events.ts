import { type ErrorDetail, invalidRequest, issuesToDetails } from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import { Hono } from 'hono';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
import { draftScoreEvents, type ScoreItem, stampScoreEvent } from '../domain/score-requests.js';
import { resolveBoards } from './board-resolution.js';
import type { AppDeps } from './deps.js';
import { publishEvents } from './publish-events.js';
import { takeRate } from './rate-limit.js';
import { limitBody, parseBody, readJson } from './request-body.js';
import { batchEnvelopeSchema, scoreItemSchema } from './request-schemas.js';

/** A body with an `events` field is a batch; anything else is judged as one event. */
function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'events');
}

export function eventsRoutes(deps: AppDeps) {
  const r = new Hono<{ Variables: AuthVariables }>();
  r.post('/', requireScope(deps.apiKeys, 'ingest'), limitBody(deps.limits.maxBodyBytes), async (c) => {
    const body = await readJson(c);
    const batch = isBatch(body);
    const raw: unknown[] = batch ? parseBody(batchEnvelopeSchema, body).events : [body];
    const prefixOf = (i: number) => (batch ? ['events', i] : []);
    // Each item is judged on its own, so one answer lists every problem of every item.
    const details: ErrorDetail[] = [];
    const items: ScoreItem[] = [];
    const indices: number[] = [];
    raw.forEach((candidate, i) => {
      const parsed = scoreItemSchema.safeParse(candidate);
      if (!parsed.success) details.push(...issuesToDetails(parsed.error.issues, prefixOf(i)));
      else {
        items.push(parsed.data);
        indices.push(i);
      }
    });
    const pathOf = (j: number) => prefixOf(indices[j]!);
    const drafted = draftScoreEvents(items, {
      now: deps.now(),
      maxClockSkewMs: deps.limits.maxClockSkewMs,
      newEventId: deps.newId,
      pathOf,
    });
    if (!drafted.ok) details.push(...drafted.details);
    if (details.length || !drafted.ok) throw invalidRequest(details);
    takeRate(deps, c.get('apiKey'), items.length);
    const boards = await resolveBoards(
      deps,
      drafted.drafts.map((d, i) => ({ board: d.board, path: [...pathOf(i), 'board'].join('.') })),
    );
    const events = drafted.drafts.map((d) => ({
      kind: 'score' as const,
      event: stampScoreEvent(d, boards.get(d.board)!),
    }));
    return c.json(await publishEvents(deps, events), 202);
  });
  r.all('/', methodNotAllowed(['POST']));
  return r;
}
