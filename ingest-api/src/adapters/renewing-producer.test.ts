import { createLogger } from '@rankstream/schemas/runtime';
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createRenewingProducer } from './renewing-producer.js';

const logger = createLogger('test', 'silent');
const record: ProducerRecord = { topic: 't', messages: [{ key: 'u', value: 'v' }] };
const meta = (id: number): RecordMetadata[] => [{ topicName: 't', partition: id, errorCode: 0 }];

/** A fake kafkajs producer whose sends are settled by the test. */
function fakeProducers() {
  const made: {
    id: number;
    sends: { resolve: (m: RecordMetadata[]) => void; reject: (e: Error) => void }[];
    disconnected: boolean;
  }[] = [];
  const create = () => {
    const state = { id: made.length + 1, sends: [] as (typeof made)[number]['sends'], disconnected: false };
    made.push(state);
    return {
      connect: async () => {},
      disconnect: async () => {
        state.disconnected = true;
      },
      send: () =>
        new Promise<RecordMetadata[]>((resolve, reject) => {
          state.sends.push({ resolve, reject });
        }),
    } as unknown as Producer;
  };
  return { made, create };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('the renewing producer', () => {
  it('keeps one producer while sends succeed', async () => {
    const { made, create } = fakeProducers();
    const p = createRenewingProducer({ create, stuckAfterMs: 1_000, logger });
    for (let i = 0; i < 3; i++) {
      const sent = p.send(record);
      await tick();
      made[0]!.sends[i]!.resolve(meta(i));
      expect(await sent).toEqual(meta(i));
    }
    expect(made).toHaveLength(1);
    expect(p.generation()).toBe(1);
  });

  it('never sends on a producer again after one of its sends failed', async () => {
    const { made, create } = fakeProducers();
    const p = createRenewingProducer({ create, stuckAfterMs: 1_000, logger });
    const first = p.send(record);
    await tick();
    made[0]!.sends[0]!.reject(new Error('request timed out'));
    await expect(first).rejects.toThrow('request timed out');
    await tick();
    expect(made[0]!.disconnected).toBe(true);

    const second = p.send(record);
    await tick();
    expect(made).toHaveLength(2);
    expect(made[0]!.sends).toHaveLength(1);
    made[1]!.sends[0]!.resolve(meta(7));
    expect(await second).toEqual(meta(7));
  });

  it('moves later sends to a fresh producer while a stuck send is still unresolved', async () => {
    const { made, create } = fakeProducers();
    const p = createRenewingProducer({ create, stuckAfterMs: 20, logger });
    const stuck = p.send(record);
    await new Promise((r) => setTimeout(r, 40));
    const next = p.send(record);
    await tick();
    expect(made).toHaveLength(2);
    expect(made[0]!.disconnected).toBe(false); // still has a send in flight
    made[1]!.sends[0]!.resolve(meta(2));
    expect(await next).toEqual(meta(2));
    made[0]!.sends[0]!.resolve(meta(1));
    expect(await stuck).toEqual(meta(1));
    await tick();
    expect(made[0]!.disconnected).toBe(true);
  });
});
