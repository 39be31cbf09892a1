import { randomBytes } from 'node:crypto';
import { profileValue, REDIS_LAYOUT, redisKeys, toRedisMember } from '@rankstream/schemas';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseServiceUrls } from '../testing/index.js';
import { type RunningServer, startFloorServer } from './query-bench.js';

describe('the query floor server', () => {
  const prefix = `test:floor_${randomBytes(4).toString('hex')}:`;
  const redisUrl = baseServiceUrls().redisUrl;
  const redis = new Redis(redisUrl);
  let server: RunningServer;

  beforeAll(async () => {
    // Three players on board b (rank scores are negated: desc), as the projector lays them out.
    const players = [
      ['a', -30, 1],
      ['b', -20, 2],
      ['c', -10, 3],
    ] as const;
    const m = redis.multi().mset(redisKeys(prefix).ready, 'e1', redisKeys(prefix).layout, REDIS_LAYOUT);
    m.hset(
      redisKeys(prefix).profiles,
      'a',
      profileValue({ version: 1, username: 'Ann', imageUrl: null, region: null }),
    );
    m.hset(redisKeys(prefix).boards, 'b', JSON.stringify({ order: 'desc', periods: [] }));
    m.hset(redisKeys(prefix).watermarks, '0', '7');
    for (const [user, rankScore, reachedAt] of players) {
      m.zadd(redisKeys(prefix).leaderboard('b', 'all'), rankScore, toRedisMember(reachedAt, user));
      m.hset(redisKeys(prefix).memberIndex('b', 'all'), user, `1|${toRedisMember(reachedAt, user)}`);
    }
    await m.exec();
    server = await startFloorServer({ redisUrl, redisPrefix: prefix });
  });

  afterAll(async () => {
    await server?.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as any) : null };
  };

  it("passes the query API's own script replies through for top, rank and around-me", async () => {
    // [status, players, ...the call's own fields, profiles of the rows (read by the same script)]
    const top = await get('/v1/boards/b/top?limit=2');
    expect(top.status).toBe(200);
    expect(top.body[1]).toBe(3);
    expect(top.body[2].map((r: unknown[]) => [r[0], r[2]])).toEqual([
      [1, '-30'],
      [2, '-20'],
    ]);
    expect(top.body[3]).toEqual(['[1,"Ann",null,null]', null]);
    const rank = await get('/v1/boards/b/users/c');
    expect(rank.body[2]).toEqual([3, toRedisMember(3, 'c'), '-10']);
    expect(rank.body[3]).toEqual([null]);
    const around = await get('/v1/boards/b/users/b/around?radius=1');
    expect(around.body[2]).toBe(1);
    expect(around.body[3].map((r: unknown[]) => r[0])).toEqual([1, 2, 3]);
    expect(around.body[4]).toEqual(['[1,"Ann",null,null]', null, null]);
  });

  it('answers 404 to any other path', async () => {
    expect((await get('/v1/boards/b/ranks?userIds=a')).status).toBe(404);
    expect((await get('/v1/boards')).status).toBe(404);
  });
});
