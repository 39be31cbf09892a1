import { randomBytes } from 'node:crypto';
import { fromRedisMember, redisKeys } from '@rankstream/schemas';
import type { Redis } from '@rankstream/schemas/runtime';
import { baseServiceUrls, connectTestRedis, deletePrefixedKeys } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, LateWriteError, type RedisWrite } from '../src/adapters/redis-store.js';
import type { TotalRow } from '../src/domain/batch-fold.js';

/**
 * The write guards of capped instances (redis-top-k.ts), where a late write could otherwise bring
 * back a value Redis no longer remembers: a zombie's batch after a rebalance, and a rebuild's
 * snapshot running beside live batches.
 */
const prefix = `rs_topk_${randomBytes(4).toString('hex')}:`;
const keys = redisKeys(prefix);
const instance = { board: 'b', periodKey: 'all' };
let redis: Redis;

beforeAll(() => {
  redis = connectTestRedis(baseServiceUrls().redisUrl);
});
afterAll(async () => {
  await deletePrefixedKeys(redis, prefix);
  redis?.disconnect();
});

const total = (userId: string, score: number, version: number, reachedAt = 1_763_000_000_000): TotalRow => ({
  ...instance,
  userId,
  score,
  rankScore: -score,
  reachedAt,
  eventCount: 1,
  version,
  details: null,
  tieKey: '',
});

/** A live batch of partition 0 that starts at `checkpoint`, adding `players` to the count. */
function batch(checkpoint: number, rows: TotalRow[], players?: number): RedisWrite {
  const counts = players === undefined ? [] : [{ ...instance, players }];
  return {
    totals: rows,
    profiles: [],
    boards: [],
    watermarks: new Map(),
    batch: { partition: 0, checkpoint, nextOffset: checkpoint + 10, counts },
  };
}

async function held(): Promise<string[]> {
  const members = await redis.zrange(keys.leaderboard(instance.board, instance.periodKey), 0, -1);
  return members.map((m) => fromRedisMember(m).userId);
}

async function indexed(): Promise<string[]> {
  return (await redis.hkeys(keys.memberIndex(instance.board, instance.periodKey))).sort();
}

describe('a capped instance (K = 2)', () => {
  it('refuses the users a batch older than one already written names, and says so', async () => {
    const store = createRedisStore(redis, `${prefix}zombie:`, { topK: 2 });
    const zkeys = redisKeys(`${prefix}zombie:`);
    const zheld = async () =>
      (await redis.zrange(zkeys.leaderboard('b', 'all'), 0, -1)).map((m) => fromRedisMember(m).userId);
    // given a, b, c written by the batch at 10 (c trimmed), then a fallen to 5 by the batch at 20
    await store.apply(batch(10, [total('a', 30, 10), total('b', 20, 11), total('c', 10, 12)], 3));
    expect(await zheld()).toEqual(['a', 'b']);
    await store.apply(batch(20, [total('a', 5, 21)]));
    expect(await zheld()).toEqual(['b']);

    // when a zombie's late write of the batch at 10 arrives with a's old value
    const late = store.apply(batch(10, [total('a', 30, 10)]));

    // then a does not come back, and the caller learns that Redis needs a rebuild
    await expect(late).rejects.toBeInstanceOf(LateWriteError);
    expect(await zheld()).toEqual(['b']);
    expect(await redis.hget(zkeys.instanceMeta('b', 'all'), 'sum')).toBe('3');
  });

  it('keeps what live batches write while a rebuild fills it, and cuts at the snapshot’s K-th when it ends', async () => {
    const store = createRedisStore(redis, prefix, { topK: 2 });
    // given an instance holding stale values (Redis missed a batch), flagged by a rebuild
    await store.apply(batch(10, [total('old', 99, 10), total('z', 1, 11)], 2));
    await store.startFills('t1', [instance], 'take');
    expect(await held()).toEqual([]);

    // when live batches write during the fill (x climbs high, y stays low) and then the snapshot
    // arrives: its best two, a and b, one of them (x) older than what the live batch wrote
    await store.apply(batch(30, [total('x', 50, 31), total('y', 2, 32)], 6));
    expect(await held()).toEqual(['x', 'y']);
    const snapshot = [total('x', 45, 25), total('a', 40, 26)];
    const done = await store.fill(
      't1',
      instance,
      snapshot,
      [{ partition: 0, offset: 28, players: 5 }],
      new Map([[0, 28]]),
    );

    // then x keeps its newer value, everything past the snapshot's second (a at 40) is cut, and
    // the count is the live batch's (newer than the snapshot's)
    expect(done).toBe(true);
    expect(await held()).toEqual(['x', 'a']);
    expect(await indexed()).toEqual(['a', 'x']);
    const lb = keys.leaderboard(instance.board, instance.periodKey);
    expect(await redis.zscore(lb, (await redis.zrange(lb, 0, 0))[0]!)).toBe('-50');
    expect(await redis.hget(keys.instanceMeta(instance.board, instance.periodKey), 'sum')).toBe('6');

    // and a batch the snapshot covered (in flight when it was taken) adds no absent user, silently
    await store.apply(batch(10, [total('z2', 99, 12)]));
    expect(await held()).toEqual(['x', 'a']);

    // and a fill whose flag was taken over (another rebuild) cannot finish, while a refill leaves a
    // rebuild's flag alone
    expect(await store.startFills('t2', [instance], 'take')).toEqual([instance]);
    expect(await store.fill('t1', instance, snapshot, [], new Map())).toBe(false);
    expect(await store.startFills('t3', [instance], 'keep')).toEqual([]);
    expect(await store.fill('t2', instance, snapshot, [], new Map())).toBe(true);
  });

  it('cuts a fill at its K-th entry among equal scores, by reachedAt and then userId', async () => {
    const store = createRedisStore(redis, `${prefix}ties:`, { topK: 2 });
    const tkeys = redisKeys(`${prefix}ties:`);
    const t = 1_763_000_000_000;
    await store.startFills('t', [instance], 'take');
    // live: q ties with a but reached 40 earlier, p ties with a but later; the snapshot's best two: x, a
    await store.apply(batch(30, [total('q', 40, 31, t - 1), total('p', 40, 32, t + 1), total('pp', 40, 33, t)], 6));
    expect(await store.fill('t', instance, [total('x', 50, 20, t), total('a', 40, 21, t)], [], new Map())).toBe(true);
    // x, q, a kept (a is the bound; pp, reached with a but after it by userId, and p go), then trimmed to two
    const kept = (await redis.zrange(tkeys.leaderboard('b', 'all'), 0, -1)).map((m) => fromRedisMember(m).userId);
    expect(kept).toEqual(['x', 'q']);
    expect(await redis.hget(tkeys.instanceMeta('b', 'all'), 'bound')).toBe(`-40|${t - 1}:q`);
  });

  it('keeps the flags of instances a long rebuild has yet to fill while it moves their deadline on', async () => {
    const store = createRedisStore(redis, `${prefix}long:`, { topK: 2, fillHoldsMs: 1_000 });
    const later = { board: 'b', periodKey: 'daily:2026-12-01' };
    const late = (row: TotalRow) => ({ ...row, ...later });
    // given a rebuild that flagged two instances, filled the first, and moved the second's deadline on
    await store.startFills('t', [instance, later], 'take');
    expect(await store.fill('t', instance, [total('a', 1, 1)], [], new Map())).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    await store.extendFills('t', [later]);
    await new Promise((r) => setTimeout(r, 700));

    // then the second is still its to fill, past the first deadline
    expect(await store.fill('t', later, [late(total('a', 1, 1))], [], new Map())).toBe(true);
    // and one it did not move on has expired
    await store.startFills('u', [instance], 'take');
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await store.fill('u', instance, [total('a', 1, 1)], [], new Map())).toBe(false);
  });

  it('empties an instance whose fill outlived its deadline, and asks for a refill', async () => {
    const store = createRedisStore(redis, `${prefix}dead:`, { topK: 2, fillHoldsMs: 200 });
    const dkeys = redisKeys(`${prefix}dead:`);
    const dheld = async () => (await redis.zrange(dkeys.leaderboard('b', 'all'), 0, -1)).length;
    // given a fill that writes live values, then whose rebuild dies
    await store.apply(batch(10, [total('a', 30, 10), total('b', 20, 11), total('c', 10, 12)], 3));
    await store.startFills('t', [instance], 'take');
    await store.apply(batch(20, [total('x', 50, 21)]));
    expect(await dheld()).toBe(1);
    expect(store.takeShrunk()).toEqual([]); // filling: not a shrunk instance
    await new Promise((r) => setTimeout(r, 300));

    // when the next live batch comes
    await store.apply(batch(30, [total('y', 60, 31)]));

    // then the instance holds nothing (readers go to PostgreSQL) until it is refilled
    expect(await dheld()).toBe(0);
    expect(await redis.hget(dkeys.instanceMeta('b', 'all'), 'bound')).toBe('none');
    expect(store.takeShrunk()).toEqual([instance]);
  });
});
