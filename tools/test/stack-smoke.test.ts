import { createEventCodec, createEventProducer, type DecodedEvent, subjectFor } from '@rankstream/schemas';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv, testKafka } from '../src/testing/index.js';

/**
 * The foundation's promise: a real Kafka and a real schema registry, wired the way the services use
 * them. An event goes in through the typed producer, its Avro schema is registered in the registry,
 * and what comes out of Kafka carries that schema's id and decodes back to the same event.
 */
describe('local stack smoke test', () => {
  let env: TestEnv;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    env = await createTestEnv({ name: 'smoke', partitions: 3 });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await env?.cleanup();
  });

  it('round-trips events through Kafka with their Avro schema registered and decoded by id', async () => {
    const kafka = testKafka(env.kafkaBrokers);
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([admin.connect(), producer.connect()]);
    const codec = createEventCodec({ registryUrl: env.registryUrl, topic: env.eventsTopic });
    const events = createEventProducer({ producer, admin, codec, topic: env.eventsTopic });
    const occurredAt = Date.UTC(2026, 10, 23, 12, 0, 0);
    let acked: Awaited<ReturnType<typeof events.produce>>;
    try {
      acked = await events.produce([
        { kind: 'score', event: { eventId: 'smoke-1', userId: 'alice', value: 42, occurredAt, periods: ['daily'] } },
        { kind: 'profile', event: { eventId: 'smoke-2', userId: 'bob', username: 'Bob', occurredAt } },
        { kind: 'score', event: { eventId: 'smoke-3', userId: 'alice', op: 'max', value: -7, occurredAt } },
      ]);
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
    expect(acked.map((a) => a.eventId)).toEqual(['smoke-1', 'smoke-2', 'smoke-3']);
    // Keyed by user: both of alice's events share a partition, in order.
    expect(acked[0]!.partition).toBe(acked[2]!.partition);
    expect(acked[2]!.offset).toBeGreaterThan(acked[0]!.offset);

    // The registry holds both schemas under the TopicRecordNameStrategy subjects.
    const ids = await codec.register();
    for (const [record, id] of [
      ['dev.rankstream.events.ScoreEvent', ids.score],
      ['dev.rankstream.events.ProfileEvent', ids.profile],
    ] as const) {
      const res = await fetch(`${env.registryUrl}/subjects/${subjectFor(env.eventsTopic, record)}/versions/latest`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { id: number; schema: string };
      expect(body.id).toBe(id);
      expect(JSON.parse(body.schema).name).toBe(record.split('.').pop());
    }

    consumer = kafka.consumer({ groupId: `${env.id}-smoke` });
    await consumer.connect();
    await consumer.subscribe({ topic: env.eventsTopic, fromBeginning: true });
    const received: { schemaId: number; decoded: DecodedEvent; partition: number; offset: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer!
        .run({
          eachMessage: async ({ partition, message }) => {
            // A decoder that knows nothing but the registry URL: the schema comes from the id in the message.
            const fresh = createEventCodec({ registryUrl: env.registryUrl, topic: env.eventsTopic });
            received.push({
              schemaId: message.value!.readInt32BE(1),
              decoded: await fresh.decode(message.value),
              partition,
              offset: Number(message.offset),
            });
            if (received.length === 3) resolve();
          },
        })
        .catch(reject);
    });

    const byId = new Map(received.map((r) => [r.decoded.event.eventId, r]));
    expect(byId.get('smoke-1')).toMatchObject({
      schemaId: ids.score,
      partition: acked[0]!.partition,
      offset: acked[0]!.offset,
      decoded: {
        kind: 'score',
        event: {
          eventId: 'smoke-1',
          userId: 'alice',
          board: 'global',
          op: 'add',
          value: 42,
          occurredAt,
          periods: ['daily'],
          source: null,
          metadata: null,
          limits: null,
          calendar: null,
          tiebreaks: [],
        },
      },
    });
    expect(byId.get('smoke-2')).toMatchObject({
      schemaId: ids.profile,
      decoded: { kind: 'profile', event: { eventId: 'smoke-2', userId: 'bob', username: 'Bob', occurredAt } },
    });
    expect(byId.get('smoke-3')).toMatchObject({
      schemaId: ids.score,
      decoded: { kind: 'score', event: { userId: 'alice', op: 'max', value: -7 } },
    });
  });
});
