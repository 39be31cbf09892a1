import { type AnyEventInput, encodeConsistencyToken, HttpError, type ProducedEvent } from '@rankstream/schemas';
import { PublishUnavailableError } from '../ports.js';
import type { AppDeps } from './deps.js';

export interface AcceptedBody {
  accepted: number;
  events: ProducedEvent[];
  consistencyToken: string;
}

/**
 * Publishes one request's events as one produce call and answers only after every one is
 * acknowledged. Kafka unavailable → 503 with Retry-After: the client retries with the same eventIds
 * and the projector counts each eventId once, whatever part of the first attempt got through.
 */
export async function publishEvents(deps: AppDeps, events: readonly AnyEventInput[]): Promise<AcceptedBody> {
  const started = performance.now();
  let produced: ProducedEvent[];
  try {
    produced = await deps.publisher.publish(events);
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
