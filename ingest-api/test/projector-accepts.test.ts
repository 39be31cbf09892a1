import { createEventCodec, createEventProducer, MAX_ABS_VALUE } from '@rankstream/schemas';
import {
  createTestEnv,
  freePort,
  type ServiceProcess,
  startService,
  type TestEnv,
  testKafka,
} from '@rankstream/tools/testing';
import { Partitioners } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';

const KEY = 'e2e-key';
let env: TestEnv;
let projector: ServiceProcess;
let api: ServiceProcess;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_e2e', partitions: 3 });
  projector = await startService('score-projector', env.env, { port: await freePort(), readyTimeoutMs: 60_000 });
  api = await startService(
    'ingest-api',
    { ...env.env, API_KEYS: `e2e:${sha256Hex(KEY)}:ingest+admin` },
    { port: await freePort() },
  );
});

afterAll(async () => {
  await api?.stop();
  await projector?.stop();
  await env?.cleanup();
});

interface Row {
  board: string;
  period_key: string;
  user_id: string;
  score: number;
  event_count: number;
}

/** Polls `totals` until it equals `expected` (the projector is asynchronous), or returns what it last saw. */
async function totalsEventually(expected: Row[], timeoutMs = 60_000): Promise<Row[]> {
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  const sort = (rows: Row[]) =>
    [...rows].sort((a, b) =>
      `${a.board}/${a.period_key}/${a.user_id}`.localeCompare(`${b.board}/${b.period_key}/${b.user_id}`),
    );
  let rows: Row[] = [];
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      rows = sort(
        (await db.query<Row>('SELECT board, period_key, user_id, score, event_count FROM totals')).rows.map((r) => ({
          ...r,
        })),
      );
      if (JSON.stringify(rows) === JSON.stringify(sort(expected))) break;
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await db.end();
  }
  return rows;
}

describe('events the projector accepts', () => {
  it('projects what a direct producer wrote with the schemas helper, and what the API published, each eventId once', async () => {
    const at = Date.UTC(2026, 10, 20, 9, 30);
    const kafka = testKafka(env.kafkaBrokers);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    try {
      const events = createEventProducer({
        producer,
        admin,
        codec: createEventCodec({ registryUrl: env.registryUrl, topic: env.eventsTopic }),
        topic: env.eventsTopic,
      });
      await events.produce([
        { kind: 'profile', event: { eventId: 'p-1', userId: 'dora', username: 'Dora', occurredAt: at } },
        { kind: 'score', event: { eventId: 'd-1', userId: 'dora', value: 10, occurredAt: at } },
        { kind: 'score', event: { eventId: 'd-2', userId: 'dora', value: 5, occurredAt: at + 1 } },
        {
          kind: 'score',
          event: { eventId: 'd-3', userId: 'evan', board: 'arcade', op: 'set', value: 100, occurredAt: at },
        },
        {
          kind: 'score',
          event: { eventId: 'd-4', userId: 'evan', board: 'arcade', op: 'max', value: 50, occurredAt: at + 1 },
        },
        {
          kind: 'score',
          event: {
            eventId: 'd-5',
            userId: 'fay',
            board: 'deep',
            op: 'set',
            value: -MAX_ABS_VALUE,
            occurredAt: at,
            periods: ['daily'],
          },
        },
      ]);
      // A producer's retry of d-2, with different content: the first in log order wins.
      await events.produce([
        { kind: 'score', event: { eventId: 'd-2', userId: 'dora', value: 1000, occurredAt: at + 2 } },
      ]);
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }

    const put = await fetch(`${api.url}/v1/boards/golf`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ order: 'asc', defaultOp: 'best', periods: ['monthly'] }),
    });
    expect(put.status).toBe(201);
    const posted = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        events: [
          { eventId: 'h-1', userId: 'gus', board: 'golf', value: 72, occurredAt: at },
          { eventId: 'h-2', userId: 'gus', board: 'golf', value: 68, occurredAt: at + 1 },
          { eventId: 'h-3', userId: 'gus', board: 'golf', value: 75, occurredAt: at + 2 },
        ],
      }),
    });
    expect(posted.status).toBe(202);
    // The client's retry of the same request: accepted again, counted once.
    const retried = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ eventId: 'h-1', userId: 'gus', board: 'golf', value: 72, occurredAt: at }),
    });
    expect(retried.status).toBe(202);

    const rows = await totalsEventually([
      { board: 'global', period_key: 'all', user_id: 'dora', score: 15, event_count: 2 },
      { board: 'arcade', period_key: 'all', user_id: 'evan', score: 100, event_count: 2 },
      { board: 'deep', period_key: 'all', user_id: 'fay', score: -MAX_ABS_VALUE, event_count: 1 },
      { board: 'deep', period_key: 'daily:2026-11-20', user_id: 'fay', score: -MAX_ABS_VALUE, event_count: 1 },
      { board: 'golf', period_key: 'all', user_id: 'gus', score: 68, event_count: 3 },
      { board: 'golf', period_key: 'monthly:2026-11', user_id: 'gus', score: 68, event_count: 3 },
    ]);
    expect(rows).toEqual([
      { board: 'arcade', period_key: 'all', user_id: 'evan', score: 100, event_count: 2 },
      { board: 'deep', period_key: 'all', user_id: 'fay', score: -MAX_ABS_VALUE, event_count: 1 },
      { board: 'deep', period_key: 'daily:2026-11-20', user_id: 'fay', score: -MAX_ABS_VALUE, event_count: 1 },
      { board: 'global', period_key: 'all', user_id: 'dora', score: 15, event_count: 2 },
      { board: 'golf', period_key: 'all', user_id: 'gus', score: 68, event_count: 3 },
      { board: 'golf', period_key: 'monthly:2026-11', user_id: 'gus', score: 68, event_count: 3 },
    ]);
  });
});
