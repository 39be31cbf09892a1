// Producing score and profile events straight to Kafka, skipping HTTP, with the schemas helper.
// Run from the checkout after `npm run build`:  node ingest-api/examples/produce-directly.mjs
import { createEventCodec, createEventProducer } from '@rankstream/schemas';
import { Kafka, Partitioners } from 'kafkajs';

const topic = process.env.EVENTS_TOPIC ?? 'score-events';
const kafka = new Kafka({
  clientId: 'my-game-backend',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
});

// Idempotent, one request in flight: kafkajs' own retries can then neither duplicate nor reorder.
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});
const admin = kafka.admin();
await Promise.all([producer.connect(), admin.connect()]);

const events = createEventProducer({
  producer,
  admin, // used once, to learn the topic's partition count
  codec: createEventCodec({
    registryUrl: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8181/apis/ccompat/v7',
    topic,
  }),
  topic,
});

const now = Date.now();
// You stamp op and periods yourself (the API would take them from the board's definition);
// omitted, they are the schema defaults: op "add", no periods, board "global".
const produced = await events.produce([
  { kind: 'profile', event: { eventId: `profile-ada-${now}`, userId: 'ada', username: 'Ada', occurredAt: now } },
  { kind: 'score', event: { eventId: `match-981-ada`, userId: 'ada', value: 120, occurredAt: now } },
  {
    kind: 'score',
    event: {
      eventId: `lap-77-ada`,
      userId: 'ada',
      board: 'speedrun',
      op: 'min',
      value: 61_250,
      occurredAt: now,
      periods: ['weekly'],
    },
  },
]);
console.log(produced); // [{ eventId, partition, offset }, ...] once every event is acknowledged (acks=all)

await Promise.all([producer.disconnect(), admin.disconnect()]);
