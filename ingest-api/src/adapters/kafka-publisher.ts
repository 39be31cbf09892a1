import type { AnyEventInput, EncodedEvent, EncodingEventProducer, ProducedEvent } from '@rankstream/schemas';
import type { Logger } from '@rankstream/schemas/runtime';
import { ZodError } from 'zod';
import { type EventPublisher, PublishUnavailableError } from '../ports.js';
import { CoalescerFullError, createSendCoalescer } from '../send-coalescer.js';

/** Kafka's record overhead per message, upper bound (length, attributes, deltas, key/value lengths). */
const RECORD_OVERHEAD_BYTES = 32;

/**
 * Publishes through the schemas producer helper (registry encoding, key = userId, acks=all). Each
 * request's events are encoded at once, then requests that arrive while a send is in flight are
 * coalesced into the next ONE producer.send (send-coalescer.ts): the idempotent producer has one
 * produce request in flight per broker, so this is what lets the API take more than one request per
 * acks=all round trip. Every request still answers only after its own events were acknowledged.
 *
 * A client-side deadline covers encoding and sending: kafkajs retries an unreachable broker for a
 * long time, and an HTTP client must hear "503, retry later" instead of hanging. After the
 * deadline the send may still complete in the background; that is harmless because the retry
 * carries the same eventIds and the projector applies each eventId once.
 */
export function createKafkaPublisher(options: {
  producer: Pick<EncodingEventProducer, 'encode' | 'sendEncoded'>;
  deadlineMs: number;
  logger: Logger;
  /**
   * Requests queued or in a send still running (counting those already answered 503: kafkajs keeps
   * retrying them). Past this, fail fast instead of piling more requests into memory during an outage.
   */
  maxPending?: number;
  /** Caps on one coalesced send; Kafka's default max.message.bytes is 1 MiB per partition batch. */
  maxSendEvents?: number;
  maxSendBytes?: number;
  /** How a send is started once idle (tests); default setImmediate. */
  schedule?: (run: () => void) => void;
}): EventPublisher {
  const { producer, deadlineMs, logger } = options;
  const maxPending = options.maxPending ?? 256;
  const coalescer = createSendCoalescer<EncodedEvent, ProducedEvent>({
    async send(messages) {
      try {
        return await producer.sendEncoded(messages);
      } catch (error) {
        // Logged once per send, not once per request in it.
        logger.warn({ err: error, events: messages.length }, 'a Kafka send failed: answering 503 to its requests');
        throw new SendFailedError((error as Error).message);
      }
    },
    sizeOf: (m) => m.key.length + m.value.length + RECORD_OVERHEAD_BYTES,
    maxItems: options.maxSendEvents ?? 5_000,
    maxBytes: options.maxSendBytes ?? 1_000_000,
    maxPending,
    ...(options.schedule ? { schedule: options.schedule } : {}),
  });

  return {
    async publish(events: readonly AnyEventInput[]): Promise<ProducedEvent[]> {
      if (events.length === 0) return [];
      // Before encoding: during an outage, refuse without spending CPU on the registry encoding.
      if (coalescer.pending() >= maxPending) {
        throw new PublishUnavailableError(`${coalescer.pending()} requests are still waiting for Kafka`);
      }
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${deadlineMs} ms`)), deadlineMs);
      try {
        const encoded = await untilAborted(producer.encode(events), deadline.signal);
        return await coalescer.submit(encoded, deadline.signal);
      } catch (error) {
        // The HTTP schemas are stricter than the Kafka ones: a contract error here is our bug, not Kafka's.
        if (error instanceof ZodError) throw error;
        if (!(error instanceof SendFailedError) && !(error instanceof CoalescerFullError)) {
          logger.warn({ err: error, events: events.length }, 'publishing failed: answering 503');
        }
        throw new PublishUnavailableError((error as Error).message);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

class SendFailedError extends Error {}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
