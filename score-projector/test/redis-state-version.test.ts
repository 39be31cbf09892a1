import { randomBytes } from 'node:crypto';
import { redisKeys } from '@rankstream/schemas';
import type { Redis } from '@rankstream/schemas/runtime';
import { baseServiceUrls, connectTestRedis, deletePrefixedKeys } from '@rankstream/tools/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisStore } from '../src/adapters/redis-store.js';
import type { TotalRow } from '../src/domain/batch-fold.js';
import type { BoardDefinition } from '../src/domain/ports.js';

/**
 * The state version the query API keeps its in-memory state and cached pages by: bumped once per
 * completed write (never for a chunk that leaves the watermark behind), published on the changes
 * channel, and restarted from a new random base after a rebuild's clear.
 */
const prefix = `rs_version_${randomBytes(4).toString('hex')}:`;
const keys = redisKeys(prefix);
let redis: Redis;
let subscriber: Redis;
const published: string[] = [];

beforeAll(async () => {
  redis = connectTestRedis(baseServiceUrls().redisUrl);
  subscriber = connectTestRedis(baseServiceUrls().redisUrl);
  subscriber.on('message', (_channel: string, message: string) => published.push(message));
  await subscriber.subscribe(keys.changes);
});
afterAll(async () => {
  await deletePrefixedKeys(redis, prefix);
  subscriber?.disconnect();
  redis?.disconnect();
});

function totals(n: number, version: number): TotalRow[] {
  return Array.from({ length: n }, (_, i) => ({
    board: 'b',
    periodKey: 'all',
    userId: `u${i}`,
    score: i,
    rankScore: -i,
    reachedAt: 1_763_000_000_000,
    eventCount: 1,
    version,
    details: null,
    tieKey: '',
  }));
}

async function version(): Promise<number> {
  return Number(await redis.get(keys.stateVersion));
}

/**
 * What was published once `last` arrives (or after 2 s): on a cluster a message published on one
 * master reaches a subscriber on another over the cluster bus, after the publisher's reply.
 */
async function publishedUntil(last: string): Promise<string[]> {
  const deadline = Date.now() + 2_000;
  while (published.at(-1) !== last && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await subscriber.ping(); // anything published after `last` by the same call would be here by now
  return [...published];
}

it('bumps the version once per completed write, however many chunks, and publishes it', async () => {
  const store = createRedisStore(redis, prefix);
  await store.apply({ totals: totals(3, 1), profiles: [], boards: [], watermarks: new Map([[0, 2]]) });
  const first = await version();
  expect(first).toBeGreaterThan(0);
  await store.apply({ totals: totals(4_500, 2), profiles: [], boards: [], watermarks: new Map([[0, 3]]) });
  expect(await version()).toBe(first + 1);
  expect(await publishedUntil(String(first + 1))).toEqual([String(first), String(first + 1)]);
  expect(await redis.zcard(keys.leaderboard('b', 'all'))).toBe(4_500);
});

it('bumps the version when it mirrors a changed board definition', async () => {
  const store = createRedisStore(redis, prefix);
  const before = await version();
  const def: BoardDefinition = {
    board: 'b',
    order: 'asc',
    defaultOp: 'add',
    tiebreaks: [],
    periods: ['daily'],
    timeZone: 'UTC',
    weekStartsOn: 'monday',
    createdAt: 1,
  };
  await store.writeBoards([def, { ...def, board: 'c' }]);
  expect(await version()).toBe(before + 1);
  expect(await redis.hkeys(keys.boards)).toEqual(expect.arrayContaining(['b', 'c']));
  expect((await publishedUntil(String(before + 1))).at(-1)).toBe(String(before + 1));
});

it('starts from a new random base after a clear, so that no version names two states', async () => {
  const store = createRedisStore(redis, prefix);
  const before = await version();
  await store.clear();
  expect(await redis.exists(keys.stateVersion)).toBe(0);
  expect(await store.tryLock('t', 10_000)).toBe(true);
  const epoch = await store.startRebuild('t', Date.now());
  expect(await store.finishRebuild('t', epoch, new Map([[0, 3]]))).toBe(true);
  const after = await version();
  expect(after).not.toBe(before);
  expect(after).not.toBe(before + 1);
  expect((await publishedUntil(String(after))).at(-1)).toBe(String(after));
});

it('tells the readers at once when it discards the projection', async () => {
  const store = createRedisStore(redis, prefix);
  await redis.set(keys.ready, '1');
  await store.discard();
  expect(await redis.exists(keys.ready)).toBe(0);
  expect((await publishedUntil('discarded')).at(-1)).toBe('discarded');
});
