import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEventCodec, createEventProducer, encodeConsistencyToken } from '@rankstream/schemas';
import { createPool } from '@rankstream/schemas/runtime';
import {
  connectTestRedis,
  createTestEnv,
  freePort,
  type ServiceProcess,
  startService,
  type TestEnv,
  testKafka,
} from '@rankstream/tools/testing';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ProjectionWriter } from './fixtures/projection-writer.js';
import { silentLogger } from './fixtures/query-world.js';

/** The built service as a real process (dist/main.js), and end to end behind the real projector. */
const PROJECTOR_BUILT = existsSync(fileURLToPath(new URL('../../score-projector/dist/main.js', import.meta.url)));
const T = 1_763_000_000_000;

let env: TestEnv;
let query: ServiceProcess | undefined;
let projector: ServiceProcess | undefined;

beforeAll(async () => {
  env = await createTestEnv({ name: 'query_service', partitions: 3 });
});
afterAll(async () => {
  await query?.stop();
  await projector?.stop();
  await env?.cleanup();
});

async function fetchJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('the query-api process', () => {
  it('starts, serves /v1 from the stores, and stops cleanly on SIGTERM', async () => {
    const pool = createPool(env.databaseUrl, 2, silentLogger);
    const redis = connectTestRedis(env.redisUrl);
    try {
      const writer = new ProjectionWriter(pool, redis, env.redisPrefix, env.eventsTopic);
      await writer.writeState({
        boards: [{ board: 'svc', order: 'desc' }],
        totals: [{ board: 'svc', periodKey: 'all', userId: 'x', score: 1, reachedAt: T }],
        watermark: { 0: 1, 1: 0, 2: 0 },
      });
      const proc = await startService('query-api', env.env, { port: await freePort() });
      // Stopped here too when an expectation fails first, so that no process outlives the test.
      onTestFinished(async () => {
        await proc.stop('SIGKILL');
      });
      expect((await fetchJson(`${proc.url}/healthz`)).status).toBe(200);
      expect((await fetchJson(`${proc.url}/readyz`)).body.status).toBe('ready');
      // A process just started may answer its first reads from PostgreSQL while its Redis connection
      // (on a cluster: the slot map) is still being made; the headers checked are those of Redis's answers.
      let top = await fetchJson(`${proc.url}/v1/boards/svc/top`, { origin: 'https://game.example' });
      for (let i = 0; i < 50 && top.headers.get('x-served-by') !== 'redis'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        top = await fetchJson(`${proc.url}/v1/boards/svc/top`, { origin: 'https://game.example' });
      }
      expect(top.body.entries).toEqual([{ rank: 1, userId: 'x', username: null, imageUrl: null, score: 1 }]);
      // Through @hono/node-server, whose plain header records the answers use (read-answer.ts).
      expect(
        Object.fromEntries(
          [...top.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(name)),
        ),
      ).toEqual({
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'ETag,X-Served-By,X-Projection-Lag-Ms,X-Consistency,Retry-After',
        'cache-control': 'public, max-age=1',
        'content-type': 'application/json; charset=UTF-8',
        etag: expect.stringMatching(/^"[\w-]{22}"$/),
        vary: 'X-Consistency-Token',
        'x-projection-lag-ms': '0',
        'x-served-by': 'redis',
      });
      const again = await fetch(`${proc.url}/v1/boards/svc/top`, {
        headers: { 'if-none-match': top.headers.get('etag')! },
      });
      expect(again.status).toBe(304);
      expect(again.headers.get('x-served-by')).toBe('redis');
      const metrics = await (await fetch(`${proc.url}/metrics`)).text();
      expect(metrics).toMatch(
        /query_http_requests_total\{[^}]*route="\/v1\/boards\/:board\/top"[^}]*status="200",served_by="redis"[^}]*\} 1/,
      );
      expect(metrics).toMatch(
        /query_http_requests_total\{[^}]*route="\/v1\/boards\/:board\/top"[^}]*status="304",served_by="redis"[^}]*\} 1/,
      );
      const doc = await fetchJson(`${proc.url}/openapi.json`);
      expect(doc.body.info.title).toBe('Rankstream query API');
      expect(await proc.stop('SIGTERM')).toBe(0);
    } finally {
      redis.disconnect();
      await pool.end();
    }
  });
});

describe('request headers through @hono/node-server', () => {
  // The answers read these from Node's parsed headers (requestHeader), not from a WHATWG Headers
  // object: app.request() in the other tests never takes that path.
  it('honours Origin, If-None-Match and X-Consistency-Token, and puts CORS on answers, errors and streams', async () => {
    const pool = createPool(env.databaseUrl, 2, silentLogger);
    const redis = connectTestRedis(env.redisUrl);
    const origin = 'https://game.example';
    const corsEnv = { ...env.env, CORS_ORIGINS: `${origin},https://other.example` };
    const proc = await startService('query-api', corsEnv, { port: await freePort() });
    try {
      const writer = new ProjectionWriter(pool, redis, env.redisPrefix, env.eventsTopic);
      await writer.writeState({
        boards: [{ board: 'hdr', order: 'desc' }],
        totals: [{ board: 'hdr', periodKey: 'all', userId: 'x', score: 1, reachedAt: T }],
        watermark: { 0: 1, 1: 0, 2: 0 },
      });
      const covered = encodeConsistencyToken({ topic: env.eventsTopic, offsets: { 0: 1 } });
      const top = await fetchJson(`${proc.url}/v1/boards/hdr/top`, { origin, 'x-consistency-token': covered });
      expect(top.status).toBe(200);
      expect(top.headers.get('access-control-allow-origin')).toBe(origin);
      expect(top.headers.get('vary')).toBe('Origin, X-Consistency-Token');
      expect(top.headers.get('x-consistency')).toBeNull();
      expect(top.body.entries).toHaveLength(1);

      const notModified = await fetch(`${proc.url}/v1/boards/hdr/top`, {
        headers: { origin, 'if-none-match': `"other", ${top.headers.get('etag')}` },
      });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('access-control-allow-origin')).toBe(origin);

      const foreign = encodeConsistencyToken({ topic: 'another-topic', offsets: { 0: 1 } });
      const badHeader = await fetchJson(`${proc.url}/v1/boards/hdr/top`, { origin, 'x-consistency-token': foreign });
      expect(badHeader.status).toBe(400);
      expect(badHeader.body.error.details).toEqual([
        { path: 'X-Consistency-Token', message: `is for topic another-topic, not ${env.eventsTopic}` },
      ]);
      expect(badHeader.headers.get('access-control-allow-origin')).toBe(origin);
      expect(badHeader.headers.get('vary')).toBe('Origin');

      const badQuery = await fetchJson(`${proc.url}/v1/boards/hdr/top?limit=10&after=${foreign}&after=nope`, {
        origin,
      });
      expect(badQuery.status).toBe(400);
      expect(badQuery.body.error.details.map((d: { path: string }) => d.path)).toEqual(['after', 'after']);
      expect(badQuery.headers.get('access-control-allow-origin')).toBe(origin);
      // An origin not on the list gets no grant, on any answer.
      const stranger = await fetchJson(`${proc.url}/v1/boards/hdr/top`, { origin: 'https://evil.example' });
      expect(stranger.status).toBe(200);
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();

      const post = await fetch(`${proc.url}/v1/boards/hdr/top`, { method: 'POST', headers: { origin } });
      expect(post.status).toBe(405);
      expect(post.headers.get('access-control-allow-origin')).toBe(origin);

      const stream = new AbortController();
      const sse = await fetch(`${proc.url}/v1/boards/hdr/stream`, { headers: { origin }, signal: stream.signal });
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(sse.headers.get('access-control-allow-origin')).toBe(origin);
      stream.abort();

      const missing = await fetchJson(`${proc.url}/v1/boards/nope/top`, { origin: 'https://other.example' });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('access-control-allow-origin')).toBe('https://other.example');
      expect(missing.headers.get('vary')).toBe('Origin, X-Consistency-Token');
      // A board Redis does not know is looked for in PostgreSQL before the 404.
      expect(missing.headers.get('x-served-by')).toBe('postgres');
    } finally {
      await proc.stop();
      redis.disconnect();
      await pool.end();
    }
  });
});

describe.skipIf(!PROJECTOR_BUILT)('end to end behind the real projector', () => {
  it('answers events produced to Kafka once the projector has applied them, reading its own writes', async () => {
    const kafka = testKafka(env.kafkaBrokers);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    try {
      // The fixture wrote state for the process test: start this world from empty stores.
      const pool = createPool(env.databaseUrl, 2, silentLogger);
      const redis = connectTestRedis(env.redisUrl);
      await new ProjectionWriter(pool, redis, env.redisPrefix, env.eventsTopic).reset();
      redis.disconnect();
      await pool.end();

      const projEnv = { ...env.env, PROJECTOR_GROUP_ID: `projector-${env.id}` };
      projector = await startService('score-projector', projEnv, { port: await freePort(), readyTimeoutMs: 60_000 });
      query = await startService('query-api', env.env, { port: await freePort() });

      const events = createEventProducer({
        producer,
        admin,
        codec: createEventCodec({ registryUrl: env.registryUrl, topic: env.eventsTopic }),
        topic: env.eventsTopic,
      });
      const at = Date.now();
      const produced = await events.produce([
        { kind: 'profile', event: { eventId: 'p-ann', userId: 'ann', username: 'Ann', occurredAt: at } },
        { kind: 'score', event: { eventId: 'e1', userId: 'ann', board: 'e2e', value: 10, occurredAt: at } },
        { kind: 'score', event: { eventId: 'e2', userId: 'bob', board: 'e2e', value: 10, occurredAt: at + 1 } },
        { kind: 'score', event: { eventId: 'e3', userId: 'cyd', board: 'e2e', value: 25, occurredAt: at + 2 } },
        { kind: 'score', event: { eventId: 'e4', userId: 'ann', board: 'e2e', value: 5, occurredAt: at + 3 } },
      ]);
      const offsets: Record<number, number> = {};
      for (const p of produced) offsets[p.partition] = Math.max(offsets[p.partition] ?? 0, p.offset + 1);
      const token = encodeConsistencyToken({ topic: env.eventsTopic, offsets });

      // The projector may still be joining its group: read-your-writes waits up to 2 s per try.
      let top: Awaited<ReturnType<typeof fetchJson>> | undefined;
      const deadline = Date.now() + 60_000;
      do {
        top = await fetchJson(`${query.url}/v1/boards/e2e/top`, { 'X-Consistency-Token': token });
      } while ((top.status !== 200 || top.headers.get('x-consistency') === 'stale') && Date.now() < deadline);
      expect(top.status).toBe(200);
      expect(top.headers.get('x-consistency')).toBeNull();
      expect(top.body.entries).toEqual([
        { rank: 1, userId: 'cyd', username: null, imageUrl: null, score: 25 },
        { rank: 2, userId: 'ann', username: 'Ann', imageUrl: null, score: 15 },
        { rank: 3, userId: 'bob', username: null, imageUrl: null, score: 10 },
      ]);
      const ann = await fetchJson(`${query.url}/v1/boards/e2e/users/ann?after=${token}`);
      expect(ann.body).toMatchObject({ rank: 2, score: 15, total: 3, percentile: 66.67 });
      const user = await fetchJson(`${query.url}/v1/users/ann?after=${token}`);
      expect(user.body).toMatchObject({ userId: 'ann', username: 'Ann', boards: [{ board: 'e2e', rank: 2 }] });

      // A live stream sees the next event within a second of its acknowledgement by Kafka.
      const source = new EventSource(`${query.url}/v1/boards/e2e/stream?limit=1`);
      try {
        const tops: { entries: { userId: string }[] }[] = [];
        let notify = () => {};
        source.addEventListener('top', (ev) => {
          tops.push(JSON.parse((ev as MessageEvent).data));
          notify();
        });
        const nextTop = (ms: number) =>
          new Promise<{ entries: { userId: string }[] }>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no top event within ${ms} ms`)), ms);
            const check = () => {
              const t = tops.shift();
              if (!t) return;
              clearTimeout(timer);
              resolve(t);
            };
            notify = check;
            check();
          });
        expect((await nextTop(5_000)).entries[0]?.userId).toBe('cyd');
        await events.produce([
          { kind: 'score', event: { eventId: 'e5', userId: 'dan', board: 'e2e', value: 99, occurredAt: at + 4 } },
        ]);
        expect((await nextTop(1_000)).entries[0]?.userId).toBe('dan');
      } finally {
        source.close();
      }
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
