import { encodeConsistencyToken, redisKeys } from '@rankstream/schemas';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { get } from './fixtures/http.js';
import type { ProjectionState } from './fixtures/projection-writer.js';
import { type CachedApp, createQueryWorld, type QueryWorld } from './fixtures/query-world.js';

/**
 * The query API keeps Redis's projection state in memory (pushed by the projector, polled as a
 * safety net) and top pages per state version. Given a state in both stores, when the projection
 * moves (with or without the push), then the next read shows it; while it does not move, pages come
 * from memory without a Redis read.
 */
const T = 1_763_000_000_000;
const TOP = '/v1/boards/b/top?limit=3';
const STATE: ProjectionState = {
  boards: [{ board: 'b', order: 'desc' }],
  totals: [
    { board: 'b', periodKey: 'all', userId: 'ann', score: 30, reachedAt: T },
    { board: 'b', periodKey: 'all', userId: 'bob', score: 20, reachedAt: T },
    { board: 'b', periodKey: 'all', userId: 'cid', score: 10, reachedAt: T },
  ],
  profiles: [{ userId: 'bob', username: 'Bob' }],
  watermark: { 0: 5 },
};

let w: QueryWorld;
let cached: CachedApp;
beforeAll(async () => {
  w = await createQueryWorld('answer_cache');
  // A poll far slower than the tests' waits, so that only the push can explain a prompt change.
  cached = await w.cachedApp({ QUERY_STATE_POLL_MS: '60000', CONSISTENCY_WAIT_MS: '3000' });
});
afterAll(async () => w?.close());

beforeEach(async () => {
  await w.writer.writeState(STATE);
  const version = await w.writer.bumpVersion();
  await until(() => cached.states.snapshot()?.version === version);
});

async function until(ok: () => boolean | Promise<boolean>, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const names = (body: { entries: { userId: string; username: string | null }[] }) =>
  body.entries.map((e) => `${e.userId}:${e.username}`);

it('serves a page from memory while the state version stays, with the bytes and ETag Redis gives', async () => {
  const first = await get(cached.app, TOP);
  const reads = cached.redisReads();
  const again = await get(cached.app, TOP);
  expect(cached.redisReads()).toBe(reads);
  const fresh = await get(w.redisApp, TOP);
  for (const answer of [again, fresh]) {
    expect(answer.text).toBe(first.text);
    expect(answer.headers.get('etag')).toBe(first.headers.get('etag'));
  }
  expect(again.headers.get('x-served-by')).toBe('redis');
  expect(again.headers.get('x-projection-lag-ms')).toBe('0');
  expect(names(again.body)).toEqual(['ann:null', 'bob:Bob', 'cid:null']);
});

it('answers 304 to a matching If-None-Match without reading Redis', async () => {
  const first = await get(cached.app, TOP);
  const reads = cached.redisReads();
  const revalidated = await get(cached.app, TOP, { 'if-none-match': first.headers.get('etag')! });
  expect(revalidated.status).toBe(304);
  expect(revalidated.text).toBe('');
  expect(cached.redisReads()).toBe(reads);
});

it('shows a write at the next read once the projector pushes the new version', async () => {
  expect(names((await get(cached.app, TOP)).body)).toEqual(['ann:null', 'bob:Bob', 'cid:null']);
  await w.writer.totals([{ board: 'b', periodKey: 'all', userId: 'cid', score: 40, reachedAt: T + 1 }]);
  await w.writer.watermark({ 0: 6 }, { store: 'redis' });
  const version = await w.writer.bumpVersion();
  await until(() => cached.states.snapshot()?.version === version, 500);
  expect(names((await get(cached.app, TOP)).body)).toEqual(['cid:null', 'ann:null', 'bob:Bob']);
});

it('shows a profile change on the next page', async () => {
  await get(cached.app, TOP);
  await w.writer.profile({ userId: 'bob', username: 'Robert' });
  const version = await w.writer.bumpVersion();
  await until(() => cached.states.snapshot()?.version === version, 500);
  expect(names((await get(cached.app, TOP)).body)).toEqual(['ann:null', 'bob:Robert', 'cid:null']);
});

it('never answers a read with a consistency token from a page older than the token', async () => {
  await get(cached.app, TOP);
  const token = encodeConsistencyToken({ topic: w.env.eventsTopic, offsets: { 0: 6 } });
  const read = get(cached.app, `${TOP}&after=${token}`);
  await new Promise((r) => setTimeout(r, 100));
  await w.writer.totals([{ board: 'b', periodKey: 'all', userId: 'cid', score: 40, reachedAt: T + 1 }]);
  await w.writer.watermark({ 0: 6 }, { store: 'redis' });
  await w.writer.bumpVersion();
  const answer = await read;
  expect(answer.headers.get('x-consistency')).toBeNull();
  expect(names(answer.body)).toEqual(['cid:null', 'ann:null', 'bob:Bob']);
});

it('catches up by polling when the push is lost', async () => {
  const polled = await w.cachedApp({ QUERY_STATE_POLL_MS: '50' });
  for (const app of [polled.app, cached.app]) {
    expect(names((await get(app, TOP)).body)).toEqual(['ann:null', 'bob:Bob', 'cid:null']);
  }
  await w.writer.totals([{ board: 'b', periodKey: 'all', userId: 'cid', score: 40, reachedAt: T + 1 }]);
  await w.writer.watermark({ 0: 6 }, { store: 'redis' });
  const version = await w.writer.bumpVersion(false);
  await until(() => polled.states.snapshot()?.version === version, 1_000);
  expect(names((await get(polled.app, TOP)).body)).toEqual(['cid:null', 'ann:null', 'bob:Bob']);
  // The app that waits for pushes alone still serves the page of the version before from memory.
  expect(cached.states.snapshot()?.version).not.toBe(version);
  expect(names((await get(cached.app, TOP)).body)).toEqual(['ann:null', 'bob:Bob', 'cid:null']);
});

it('leaves the cache while Redis is not ready, and reads PostgreSQL', async () => {
  await get(cached.app, TOP);
  await w.writer.setReady(false);
  await w.redis.publish(redisKeys(w.env.redisPrefix).changes, 'not-a-version');
  await until(() => cached.states.snapshot() === undefined, 500);
  const answer = await get(cached.app, TOP);
  expect(answer.headers.get('x-served-by')).toBe('postgres');
});

it('does not pass off a cached page as the state of a version that came back with another watermark', async () => {
  const before = await get(cached.app, TOP);
  const version = cached.states.snapshot()!.version;
  // Redis restored from an older snapshot, or a writer that does not bump: same version, new data.
  await w.writer.totals([{ board: 'b', periodKey: 'all', userId: 'cid', score: 40, reachedAt: T + 1 }]);
  await w.writer.watermark({ 0: 6 }, { store: 'redis' });
  await w.redis.set(redisKeys(w.env.redisPrefix).stateVersion, version);
  await cached.states.refresh();
  expect(cached.states.snapshot()?.version).toBe(version);
  const after = await get(cached.app, TOP);
  expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
  expect(names(after.body)).toEqual(['cid:null', 'ann:null', 'bob:Bob']);
});

it('holds a board definition per state version, and reads it again when the version moves', async () => {
  const DAILY = '/v1/boards/b/users/bob?period=daily';
  await get(cached.app, '/v1/boards/b/users/bob');
  // The definition now in memory keeps no daily period.
  expect((await get(cached.app, DAILY)).status).toBe(400);
  await w.writer.board({ board: 'b', order: 'desc', periods: ['daily'] });
  const version = await w.writer.bumpVersion();
  await until(() => cached.states.snapshot()?.version === version, 500);
  // A daily total is not written, so the board keeps the period but bob has no score in it yet.
  const answer = await get(cached.app, DAILY);
  expect(answer.status).toBe(404);
  expect(answer.body.error.code).toBe('user_not_found');
  expect(answer.headers.get('x-served-by')).toBe('redis');
});

it('reads PostgreSQL while Redis holds a projection in another layout', async () => {
  expect((await get(cached.app, TOP)).headers.get('x-served-by')).toBe('redis');
  await w.redis.set(redisKeys(w.env.redisPrefix).layout, '1');
  await w.redis.publish(redisKeys(w.env.redisPrefix).changes, 'not-a-version');
  await until(() => cached.states.snapshot() === undefined, 500);
  const answer = await get(cached.app, TOP);
  expect(answer.headers.get('x-served-by')).toBe('postgres');
  expect(names(answer.body)).toEqual(['ann:null', 'bob:Bob', 'cid:null']);
});
