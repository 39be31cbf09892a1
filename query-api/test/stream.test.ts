import { listen, type RunningServer } from '@rankstream/schemas/runtime';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { get } from './fixtures/http.js';
import {
  appDeps,
  createQueryWorld,
  FallbackReader,
  fallbackOptions,
  type QueryWorld,
  silentLogger,
} from './fixtures/query-world.js';

/** The SSE streams through a real HTTP server and a real EventSource client. */
const T = 1_763_000_000_000;
let w: QueryWorld;
let server: RunningServer;
let reader: FallbackReader;
let base: string;
const sources: EventSource[] = [];

beforeAll(async () => {
  w = await createQueryWorld('stream');
  await w.writer.writeState({
    boards: [{ board: 'global', order: 'desc' }],
    totals: [
      { board: 'global', periodKey: 'all', userId: 'a', score: 30, reachedAt: T },
      { board: 'global', periodKey: 'all', userId: 'b', score: 20, reachedAt: T },
      { board: 'global', periodKey: 'all', userId: 'c', score: 10, reachedAt: T },
    ],
    watermark: { 0: 3 },
  });
  reader = new FallbackReader(w.redisReader, w.pgReader, fallbackOptions(), silentLogger);
  const app = createApp(appDeps(reader, { EVENTS_TOPIC: w.env.eventsTopic, STREAM_HEARTBEAT_MS: '300' }));
  server = await listen(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  for (const s of sources) s.close();
  reader?.stop();
  await server?.close();
  await w?.close();
});

/** Collects one event type's payloads; next() resolves with the next one, or fails after ms. */
function subscribe(path: string, type: string) {
  const source = new EventSource(`${base}${path}`);
  sources.push(source);
  const seen: any[] = [];
  const waiters: ((v: any) => void)[] = [];
  source.addEventListener(type, (ev) => {
    const data = JSON.parse((ev as MessageEvent).data);
    const waiter = waiters.shift();
    if (waiter) waiter(data);
    else seen.push(data);
  });
  return {
    source,
    next(ms: number): Promise<any> {
      if (seen.length) return Promise.resolve(seen.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms);
        waiters.push((v) => {
          clearTimeout(timer);
          resolve(v);
        });
      });
    },
  };
}

it('pushes the top N on connect and again within a second of a change', async () => {
  const stream = subscribe('/v1/boards/global/stream?limit=2', 'top');
  const first = await stream.next(5_000);
  expect(first.entries.map((e: any) => [e.userId, e.score])).toEqual([
    ['a', 30],
    ['b', 20],
  ]);
  await w.writer.totals([{ board: 'global', periodKey: 'all', userId: 'c', score: 40, reachedAt: T + 1, version: 3 }]);
  await w.writer.watermark({ 0: 4 });
  const changed = await stream.next(1_000);
  expect(changed.entries.map((e: any) => [e.userId, e.score])).toEqual([
    ['c', 40],
    ['a', 30],
  ]);
  // A change below the top N moves the watermark but not the answer: nothing is pushed for it.
  await w.writer.totals([{ board: 'global', periodKey: 'all', userId: 'b', score: 15, reachedAt: T, version: 4 }]);
  await w.writer.watermark({ 0: 5 });
  await expect(stream.next(800)).rejects.toThrow('no top event');
});

it("pushes a user's rank and neighbours when they change", async () => {
  const stream = subscribe('/v1/boards/global/users/b/stream?radius=1', 'rank');
  const first = await stream.next(5_000);
  expect(first.user.userId).toBe('b');
  const before = first.user.rank;
  await w.writer.totals([{ board: 'global', periodKey: 'all', userId: 'b', score: 100, reachedAt: T + 2, version: 5 }]);
  await w.writer.watermark({ 0: 6 });
  const changed = await stream.next(1_000);
  expect(before).toBeGreaterThan(1);
  expect(changed.user).toMatchObject({ rank: 1, userId: 'b', score: 100 });
  expect(changed.entries.map((e: any) => e.rank)).toEqual([1, 2]);
});

it('sends heartbeats while nothing changes', async () => {
  const stream = subscribe('/v1/boards/global/stream', 'heartbeat');
  const beat = await stream.next(3_000);
  expect(typeof beat).toBe('number');
});

it('refuses an unknown board with the JSON error before streaming', async () => {
  const res = await fetch(`${base}/v1/boards/nope/stream`);
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).error.code).toBe('board_not_found');
  const bad = await get({ request: (p: string) => fetch(`${base}${p}`) }, '/v1/boards/global/stream?limit=0');
  expect(bad.status).toBe(400);
});
