import type { Redis } from '@rankstream/schemas/runtime';
import { createRedis } from '@rankstream/schemas/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import type { FallbackReason } from '../src/readers/fallback.js';
import { createRedisReader } from '../src/readers/redis-reader.js';
import { get } from './fixtures/http.js';
import type { ProjectionState } from './fixtures/projection-writer.js';
import {
  appDeps,
  createQueryWorld,
  FallbackReader,
  fallbackOptions,
  NO_SEASONS,
  type QueryWorld,
  silentLogger,
} from './fixtures/query-world.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';

const T = 1_763_000_000_000;
const STATE: ProjectionState = {
  boards: [{ board: 'global', order: 'desc' }],
  totals: [
    { board: 'global', periodKey: 'all', userId: 'a', score: 3, reachedAt: T },
    { board: 'global', periodKey: 'all', userId: 'b', score: 2, reachedAt: T },
    { board: 'global', periodKey: 'all', userId: 'c', score: 1, reachedAt: T },
  ],
  watermark: { 0: 10 },
};
const TOP = {
  board: 'global',
  period: 'all',
  periodKey: 'all',
  total: 3,
  entries: [
    { rank: 1, userId: 'a', username: null, imageUrl: null, score: 3 },
    { rank: 2, userId: 'b', username: null, imageUrl: null, score: 2 },
    { rank: 3, userId: 'c', username: null, imageUrl: null, score: 1 },
  ],
  nextCursor: null,
};

let w: QueryWorld;
let proxy: TcpProxy;
let proxied: Redis;
let reader: FallbackReader;
let app: ReturnType<typeof createApp>;
let reasons: FallbackReason[];
let breaker: string[];

beforeAll(async () => {
  w = await createQueryWorld('fallback');
  const target = new URL(w.env.redisUrl);
  proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  await proxy.start();
  // As main.ts connects the reader.
  proxied = createRedis({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_CLUSTER: false }, silentLogger, {
    autoPipelining: true,
  });
  await new Promise((r) => proxied.once('ready', r));
});
afterAll(async () => {
  reader?.stop();
  proxied?.disconnect();
  await proxy?.cut();
  await w?.close();
});

beforeEach(async () => {
  await proxy.restore();
  if (proxied.status !== 'ready') await new Promise((r) => proxied.once('ready', r));
  await w.writer.writeState(STATE);
  reasons = [];
  breaker = [];
  reader?.stop();
  reader = new FallbackReader(
    createRedisReader(proxied, w.env.redisPrefix, undefined, NO_SEASONS),
    w.pgReader,
    fallbackOptions({
      redisDeadlineMs: 100,
      breakerMinCalls: 3,
      breakerResetMs: 500,
      maxRedisLagMs: 300,
      onFallback: (r) => reasons.push(r),
      onBreakerState: (s) => breaker.push(s),
    }),
    silentLogger,
  );
  app = createApp(appDeps(reader, { EVENTS_TOPIC: w.env.eventsTopic }));
});

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fallback to PostgreSQL', () => {
  it('keeps answering from PostgreSQL when Redis goes away mid-test, and returns to Redis', async () => {
    const before = await get(app, '/v1/boards/global/top');
    expect(before.headers.get('x-served-by')).toBe('redis');
    expect(before.body).toEqual(TOP);

    await proxy.cut();
    for (let i = 0; i < 20; i++) {
      const a = await get(app, '/v1/boards/global/top');
      expect(a.status).toBe(200);
      expect(a.headers.get('x-served-by')).toBe('postgres');
      expect(a.body).toEqual(TOP);
      const u = await get(app, '/v1/boards/global/users/b');
      expect(u.headers.get('x-served-by')).toBe('postgres');
      expect(u.body.rank).toBe(2);
    }
    // A dead Redis trips the breaker: after the first few failures, requests no longer try it.
    expect(breaker).toContain('open');
    const failures = reasons.filter((r) => r === 'redis_error' || r === 'redis_timeout');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    // (A slow machine may spend the 500 ms reset period inside the loop: one more trial each time.)
    expect(reasons.filter((r) => r === 'breaker_open').length).toBeGreaterThanOrEqual(30);
    expect(failures.length + reasons.filter((r) => r === 'breaker_open').length).toBe(40);

    await proxy.restore();
    await until(async () => (await get(app, '/v1/boards/global/top')).headers.get('x-served-by') === 'redis');
    expect(breaker.at(-1)).toBe('closed');
  });

  it('falls back when Redis is slower than the deadline', async () => {
    proxy.hang();
    const a = await get(app, '/v1/boards/global/users/a');
    expect(a.status).toBe(200);
    expect(a.headers.get('x-served-by')).toBe('postgres');
    expect(a.body.rank).toBe(1);
    expect(reasons).toEqual(['redis_timeout']);
  });

  it('uses PostgreSQL while Redis is not ready or being rebuilt', async () => {
    await w.writer.setReady(false);
    const a = await get(app, '/v1/boards/global/top');
    expect(a.headers.get('x-served-by')).toBe('postgres');
    expect(a.body).toEqual(TOP);
    await w.writer.setReady(true);
    await w.writer.setRebuilding(true);
    const b = await get(app, '/v1/boards');
    expect(b.headers.get('x-served-by')).toBe('postgres');
    await w.writer.setRebuilding(false);
    const c = await get(app, '/v1/boards');
    expect(c.headers.get('x-served-by')).toBe('redis');
    expect(reasons).toEqual(['not_ready', 'rebuilding']);
  });

  it("uses PostgreSQL while Redis's watermark trails PostgreSQL's by more than the allowed lag", async () => {
    await reader.sampleWatermarks();
    // PostgreSQL moves on (a new total and offset); Redis does not follow.
    await w.pool.query("UPDATE totals SET score = 9, rank_score = -9 WHERE user_id = 'c'");
    await w.writer.watermark({ 0: 11 }, { store: 'postgres' });
    await reader.sampleWatermarks();
    const early = await get(app, '/v1/boards/global/users/c');
    expect(early.headers.get('x-served-by')).toBe('redis');
    expect(early.body.rank).toBe(3);
    await new Promise((r) => setTimeout(r, 400));
    await reader.sampleWatermarks();
    const late = await get(app, '/v1/boards/global/users/c');
    expect(late.headers.get('x-served-by')).toBe('postgres');
    expect(late.body.rank).toBe(1);
    expect(reasons).toEqual(['redis_behind']);
    // Redis catches up: back to Redis.
    await w.writer.totals([{ board: 'global', periodKey: 'all', userId: 'c', score: 9, reachedAt: T }]);
    await w.writer.watermark({ 0: 11 }, { store: 'redis' });
    await reader.sampleWatermarks();
    const back = await get(app, '/v1/boards/global/users/c');
    expect(back.headers.get('x-served-by')).toBe('redis');
    expect(back.body.rank).toBe(1);
  });

  it("trusts Redis again when PostgreSQL's checkpoints move back (the events topic was recreated)", async () => {
    await w.writer.watermark({ 0: 50 }, { store: 'postgres' });
    await reader.sampleWatermarks();
    // the projector projects the new log from its start and rebuilds Redis with its watermarks
    await w.writer.watermark({ 0: 3 }, { store: 'postgres' });
    await w.writer.watermark({ 0: 3 }, { store: 'redis' });
    await reader.sampleWatermarks();
    await new Promise((r) => setTimeout(r, 400));
    await reader.sampleWatermarks();

    const a = await get(app, '/v1/boards/global/top');
    expect(a.headers.get('x-served-by')).toBe('redis');
    expect(a.body).toEqual(TOP);
    expect(reasons).toEqual([]);
  });

  it('reports the projection lag from the heartbeat', async () => {
    await w.writer.watermark({ 0: 10 }, { logEnd: { 0: 15 }, caughtUpAt: Date.now() - 5_000 });
    const a = await get(app, '/v1/boards/global/top');
    const lag = Number(a.headers.get('x-projection-lag-ms'));
    expect(lag).toBeGreaterThanOrEqual(5_000);
    expect(lag).toBeLessThan(60_000);
  });
});
