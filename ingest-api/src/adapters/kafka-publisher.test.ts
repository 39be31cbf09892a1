import type { AnyEventInput, EncodedEvent, EncodingEventProducer, ProducedEvent } from '@rankstream/schemas';
import { createLogger } from '@rankstream/schemas/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PublishUnavailableError } from '../ports.js';
import { createKafkaPublisher } from './kafka-publisher.js';

const logger = createLogger('test', 'silent');
const event = (eventId: string, userId = 'u'): AnyEventInput => ({
  kind: 'score',
  event: { eventId, userId, value: 1, occurredAt: 1e12 },
});

/** Encodes at once (partition = userId length mod 2); each send waits until the test settles it. */
function controllableProducer(encodeError?: Error) {
  const sends: { messages: EncodedEvent[]; resolve: (r: ProducedEvent[]) => void; reject: (e: Error) => void }[] = [];
  const producer: Pick<EncodingEventProducer, 'encode' | 'sendEncoded'> = {
    encode: async (events) => {
      if (encodeError) throw encodeError;
      return events.map(({ event: e }) => {
        const key = 'userId' in e ? e.userId : e.board;
        return { eventId: e.eventId, key, value: Buffer.from(e.eventId), partition: key.length % 2 };
      });
    },
    sendEncoded: (messages) =>
      new Promise((resolve, reject) => sends.push({ messages: [...messages], resolve, reject })),
  };
  return { producer, sends };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('kafka publisher', () => {
  it('coalesces requests arriving during a send into one send, answering each with its own offsets', async () => {
    const { producer, sends } = controllableProducer();
    const publisher = createKafkaPublisher({ producer, deadlineMs: 5_000, logger });
    const first = publisher.publish([event('a')]);
    await tick();
    const second = publisher.publish([event('b1', 'uu'), event('b2')]);
    const third = publisher.publish([event('c')]);
    await tick();
    expect(sends.map((s) => s.messages.map((m) => m.eventId))).toEqual([['a']]);
    sends[0]!.resolve([{ eventId: 'a', partition: 1, offset: 40 }]);
    await expect(first).resolves.toEqual([{ eventId: 'a', partition: 1, offset: 40 }]);
    await tick();
    expect(sends.map((s) => s.messages.map((m) => m.eventId))).toEqual([['a'], ['b1', 'b2', 'c']]);
    sends[1]!.resolve([
      { eventId: 'b1', partition: 0, offset: 7 },
      { eventId: 'b2', partition: 1, offset: 41 },
      { eventId: 'c', partition: 1, offset: 42 },
    ]);
    await expect(second).resolves.toEqual([
      { eventId: 'b1', partition: 0, offset: 7 },
      { eventId: 'b2', partition: 1, offset: 41 },
    ]);
    await expect(third).resolves.toEqual([{ eventId: 'c', partition: 1, offset: 42 }]);
  });

  it('gives up after the deadline with PublishUnavailableError', async () => {
    const { producer } = controllableProducer();
    const publisher = createKafkaPublisher({ producer, deadlineMs: 20, logger });
    await expect(publisher.publish([event('e')])).rejects.toBeInstanceOf(PublishUnavailableError);
  });

  it('answers 503 to every request of a failed send', async () => {
    const { producer, sends } = controllableProducer();
    const publisher = createKafkaPublisher({ producer, deadlineMs: 5_000, logger });
    const a = publisher.publish([event('a')]);
    const b = publisher.publish([event('b')]);
    await tick();
    expect(sends).toHaveLength(1);
    sends[0]!.reject(new Error('connection refused'));
    await expect(a).rejects.toBeInstanceOf(PublishUnavailableError);
    await expect(b).rejects.toThrow('connection refused');
  });

  it('turns an encoding failure into PublishUnavailableError, but not a contract error', async () => {
    await expect(
      createKafkaPublisher({
        producer: controllableProducer(new Error('registry unreachable')).producer,
        deadlineMs: 1000,
        logger,
      }).publish([event('e')]),
    ).rejects.toBeInstanceOf(PublishUnavailableError);
    await expect(
      createKafkaPublisher({
        producer: controllableProducer(new z.ZodError([])).producer,
        deadlineMs: 1000,
        logger,
      }).publish([event('e')]),
    ).rejects.toBeInstanceOf(z.ZodError);
  });

  it('fails fast while too many requests, timed out or not, still wait for Kafka', async () => {
    const { producer, sends } = controllableProducer();
    const publisher = createKafkaPublisher({ producer, deadlineMs: 10, logger, maxPending: 2 });
    await expect(publisher.publish([event('a')])).rejects.toBeInstanceOf(PublishUnavailableError);
    await expect(publisher.publish([event('b')])).rejects.toBeInstanceOf(PublishUnavailableError);
    expect(sends).toHaveLength(2); // a's send was abandoned at its deadline, so b's went without waiting
    await expect(publisher.publish([event('c')])).rejects.toThrow(/2 requests are still waiting/);
    expect(sends).toHaveLength(2);
    sends[0]!.resolve([{ eventId: 'a', partition: 1, offset: 0 }]);
    await tick();
    const d = publisher.publish([event('d')]);
    await tick();
    expect(sends).toHaveLength(3);
    sends[2]!.resolve([{ eventId: 'd', partition: 1, offset: 7 }]);
    await expect(d).resolves.toEqual([{ eventId: 'd', partition: 1, offset: 7 }]);
  });

  it('publishes nothing for no events', async () => {
    const { producer, sends } = controllableProducer();
    await expect(createKafkaPublisher({ producer, deadlineMs: 10, logger }).publish([])).resolves.toEqual([]);
    expect(sends).toHaveLength(0);
  });
});
