import type { AnyEventInput, EventProducer, ProducedEvent } from '@rankstream/schemas';
import { type Logger, withTimeout } from '@rankstream/schemas/runtime';
import { ZodError } from 'zod';
import { type EventPublisher, PublishUnavailableError } from '../ports.js';

/**
 * Publishes through the schemas producer helper (registry encoding, key = userId, acks=all), as one
 * produce call per request, with a client-side deadline: kafkajs retries an unreachable broker for
 * a long time, and an HTTP client must hear "503, retry later" instead of hanging.
 *
 * After the deadline the send may still complete in the background; that is harmless because the
 * retry carries the same eventIds and the projector applies each eventId once.
 */
export function createKafkaPublisher(options: {
  producer: EventProducer;
  deadlineMs: number;
  logger: Logger;
  /**
   * Produce calls still running, counting those already answered 503 (kafkajs keeps retrying them).
   * Past this, fail fast instead of piling more requests' events into memory during an outage.
   */
  maxPending?: number;
}): EventPublisher {
  const { producer, deadlineMs, logger } = options;
  const maxPending = options.maxPending ?? 256;
  let pending = 0;
  return {
    async publish(events: readonly AnyEventInput[]): Promise<ProducedEvent[]> {
      if (pending >= maxPending) {
        throw new PublishUnavailableError(`${pending} produce calls are still waiting for Kafka`);
      }
      pending++;
      const sending = producer.produce(events).finally(() => {
        pending--;
      });
      try {
        return await withTimeout(sending, deadlineMs);
      } catch (error) {
        // The HTTP schemas are stricter than the Kafka ones: a contract error here is our bug, not Kafka's.
        if (error instanceof ZodError) throw error;
        logger.warn({ err: error, events: events.length }, 'publishing failed: answering 503');
        throw new PublishUnavailableError((error as Error).message);
      }
    },
  };
}
