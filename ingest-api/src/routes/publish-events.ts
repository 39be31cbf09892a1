import { randomBytes } from 'node:crypto';
import { type AnyEventInput, encodeConsistencyToken, HttpError, type ProducedEvent } from '@rankstream/schemas';
import { sealEvents, usersToSeal } from '../domain/seal-events.js';
import { PublishUnavailableError, UserErasedError } from '../ports.js';
import type { AppDeps } from './deps.js';

export interface AcceptedBody {
  accepted: number;
  events: ProducedEvent[];
  consistencyToken: string;
}

/**
 * Publishes one request's events as one produce call and answers only after every one is
 * acknowledged. Personal text (profiles, metadata) is sealed with each user's key first, so that an
 * erasure, which deletes the key, leaves it unreadable in the log. Kafka unavailable → 503 with Retry-After: the client retries with the same eventIds
 * and the projector counts each eventId once, whatever part of the first attempt got through.
 */
export async function publishEvents(deps: AppDeps, events: readonly AnyEventInput[]): Promise<AcceptedBody> {
  const sealed = await sealPersonalText(deps, events);
  const started = performance.now();
  let produced: ProducedEvent[];
  try {
    produced = await deps.publisher.publish(sealed);
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    if (error instanceof PublishUnavailableError) {
      deps.metrics.produceSeconds.observe({ outcome: 'unavailable' }, seconds);
      throw new HttpError(
        503,
        'kafka_unavailable',
        'the event log is unavailable; retry later with the same eventIds',
        [],
        { 'Retry-After': String(deps.limits.unavailableRetryAfterS) },
      );
    }
    deps.metrics.produceSeconds.observe({ outcome: 'error' }, seconds);
    throw error;
  }
  deps.metrics.produceSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
  for (const e of events) deps.metrics.eventsAccepted.inc({ kind: e.kind });
  const next: Record<number, number> = {};
  for (const p of produced) next[p.partition] = Math.max(next[p.partition] ?? 0, p.offset + 1);
  return {
    accepted: produced.length,
    events: produced,
    consistencyToken: encodeConsistencyToken({ topic: deps.topic, offsets: next }),
  };
}

async function sealPersonalText(deps: AppDeps, events: readonly AnyEventInput[]): Promise<AnyEventInput[]> {
  const users = usersToSeal(events);
  if (users.length === 0) return [...events];
  try {
    return sealEvents(events, await deps.userKeys.keysFor(users), () => randomBytes(12));
  } catch (error) {
    throw erasedAsForbidden(error);
  }
}

/** A UserErasedError as the 403 the API answers with; anything else as it is. */
export function erasedAsForbidden(error: unknown): unknown {
  if (!(error instanceof UserErasedError)) return error;
  return new HttpError(403, 'user_erased', "an erased user's events are refused for good", [
    { path: 'userId', message: 'this user was erased' },
  ]);
}
