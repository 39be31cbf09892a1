import type { AnyEventInput, EventProducer, ProducedEvent } from '@rankstream/schemas';
import { createLogger } from '@rankstream/schemas/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PublishUnavailableError } from '../ports.js';
import { createKafkaPublisher } from './kafka-publisher.js';

const logger = createLogger('test', 'silent');
const event: AnyEventInput = { kind: 'score', event: { eventId: 'e', userId: 'u', value: 1, occurredAt: 1e12 } };

/** Each produce call waits until the test settles it. */
function controllableProducer() {
  const calls: { resolve: (r: ProducedEvent[]) => void; reject: (e: Error) => void }[] = [];
  const producer: EventProducer = {
    produce: () => new Promise((resolve, reject) => calls.push({ resolve, reject })),
  };
  return { producer, calls };
}

describe('kafka publisher', () => {
  it('gives up after the deadline with PublishUnavailableError', async () => {
    const { producer } = controllableProducer();
    const publisher = createKafkaPublisher({ producer, deadlineMs: 20, logger });
    await expect(publisher.publish([event])).rejects.toBeInstanceOf(PublishUnavailableError);
  });

  it('turns a producer failure into PublishUnavailableError, but not a contract error', async () => {
    const failing: EventProducer = { produce: async () => Promise.reject(new Error('connection refused')) };
    await expect(
      createKafkaPublisher({ producer: failing, deadlineMs: 1000, logger }).publish([event]),
    ).rejects.toBeInstanceOf(PublishUnavailableError);
    const buggy: EventProducer = { produce: async () => Promise.reject(new z.ZodError([])) };
    await expect(
      createKafkaPublisher({ producer: buggy, deadlineMs: 1000, logger }).publish([event]),
    ).rejects.toBeInstanceOf(z.ZodError);
  });

  it('fails fast while too many produce calls, timed out or not, still wait for Kafka', async () => {
    const { producer, calls } = controllableProducer();
    const publisher = createKafkaPublisher({ producer, deadlineMs: 10, logger, maxPending: 2 });
    await expect(publisher.publish([event])).rejects.toBeInstanceOf(PublishUnavailableError);
    await expect(publisher.publish([event])).rejects.toBeInstanceOf(PublishUnavailableError);
    expect(calls).toHaveLength(2);
    await expect(publisher.publish([event])).rejects.toThrow(/2 produce calls are still waiting/);
    expect(calls).toHaveLength(2);
    calls[0]!.resolve([]);
    await new Promise((r) => setTimeout(r, 0));
    const third = publisher.publish([event]);
    expect(calls).toHaveLength(3);
    calls[2]!.resolve([{ eventId: 'e', partition: 0, offset: 7 }]);
    await expect(third).resolves.toEqual([{ eventId: 'e', partition: 0, offset: 7 }]);
  });
});
