import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { readTopic } from './kafka-log.js';

const KEY = 'concurrent-key';

let env: TestEnv;
let api: ServiceProcess;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_concurrent', partitions: 3 });
  api = await startService(
    'ingest-api',
    { ...env.env, API_KEYS: `t:${sha256Hex(KEY)}:ingest` },
    { port: await freePort() },
  );
});

afterAll(async () => {
  await api?.stop();
  await env?.cleanup();
});

interface Answer {
  accepted: number;
  events: { eventId: string; partition: number; offset: number }[];
}

async function post(body: object): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${api.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

describe('concurrent POSTs coalesced into shared Kafka sends', () => {
  it('answers 200 concurrent single-event POSTs, and batches among them, with the (partition, offset) each event has in Kafka', async () => {
    const singles = Array.from({ length: 200 }, (_, i) => ({
      eventId: `single-${i}`,
      userId: `p-${i % 41}`,
      value: i,
    }));
    // Multi-event requests in the same burst: each must stay contiguous and in order in its partition.
    const batches = Array.from({ length: 10 }, (_, b) => ({
      events: Array.from({ length: 5 }, (_, i) => ({ eventId: `batch-${b}-${i}`, userId: `b-${b}`, value: i })),
    }));
    const answers = await Promise.all([...singles.map(post), ...batches.map(post)]);

    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    const answered = answers.flatMap((a) => a.body.events);
    expect(answered).toHaveLength(250);
    expect(new Set(answered.map((e) => `${e.partition}:${e.offset}`)).size).toBe(250);
    for (const [i, single] of singles.entries())
      expect(answers[i]!.body.events.map((e) => e.eventId)).toEqual([single.eventId]);
    for (const [b, batch] of batches.entries()) {
      const events = answers[singles.length + b]!.body.events;
      expect(events.map((e) => e.eventId)).toEqual(batch.events.map((e) => e.eventId));
      const [first] = events;
      expect(events).toEqual(events.map((e, i) => ({ ...e, partition: first!.partition, offset: first!.offset + i })));
    }

    // What a consumer reads back: every event exactly where its answer said, keyed by its user.
    const log = await readTopic({
      brokers: env.kafkaBrokers,
      registryUrl: env.registryUrl,
      topic: env.eventsTopic,
      count: 250,
    });
    expect(log).toHaveLength(250);
    const inKafka = new Map(
      log.map((m) => [m.decoded.event.eventId, { partition: m.partition, offset: m.offset, key: m.key }]),
    );
    const sent = new Map([...singles, ...batches.flatMap((b) => b.events)].map((e) => [e.eventId, e]));
    for (const e of answered) {
      expect(inKafka.get(e.eventId)).toEqual({
        partition: e.partition,
        offset: e.offset,
        key: sent.get(e.eventId)!.userId,
      });
    }
  });
});
