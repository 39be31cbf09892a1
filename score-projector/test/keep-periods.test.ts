import { type AnyEventInput, periodKey, redisKeys } from '@rankstream/schemas';
import { freePort, type ServiceProcess, startService } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/postgres-store.js';
import { createRedisStore } from '../src/adapters/redis-store.js';
import type { BoardDefinition } from '../src/domain/ports.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';

const DAY = 86_400_000;
const NOW = Date.now();
const TODAY = periodKey('daily', NOW);
const LONG_AGO = periodKey('daily', NOW - 5 * DAY);

function score(userId: string, value: number, occurredAt: number): AnyEventInput {
  return {
    kind: 'score',
    event: { eventId: `keep-${userId}`, userId, board: 'global', value, occurredAt, periods: ['daily'] },
  };
}

const boardDef = (board: string): BoardDefinition => ({
  board,
  order: 'desc',
  defaultOp: 'add',
  tiebreaks: [],
  periods: ['daily'],
  timeZone: 'UTC',
  weekStartsOn: 'monday',
  createdAt: 1,
});

/** A total of user u, as a committed batch hands it to the Redis store. */
const row = (board: string, periodKey: string, version: number) => ({
  board,
  periodKey,
  userId: 'u',
  score: 1,
  rankScore: -1,
  reachedAt: 1,
  eventCount: 1,
  version,
  details: null,
  tieKey: '',
});

describe('Redis keeps the newest instances of each period (REDIS_KEEP_PERIODS)', () => {
  let world: ProjectorWorld;
  let query: ServiceProcess | undefined;
  beforeAll(async () => {
    world = await createProjectorWorld('keep_periods', 2);
  });
  afterAll(async () => {
    await query?.stop();
    await world?.close();
  });

  const keys = () => redisKeys(world.env.redisPrefix);
  const held = async (key: string) => (await world.redis.exists(keys().leaderboard('global', key))) === 1;

  it('writes old instances to PostgreSQL only, and the query API reads them there with the same answers', async () => {
    // given a board keeping dailies, a projector that keeps every instance, and a day five days back in Redis
    await world.db.query(
      `INSERT INTO boards (board, sort_order, default_op, periods) VALUES ('global', 'desc', 'add', '{daily}')
       ON CONFLICT (board) DO UPDATE SET periods = '{daily}'`,
    );
    let projector = await world.startProjector({ REDIS_KEEP_PERIODS: '0' });
    await world.produce([score('old', 5, NOW - 5 * DAY), score('new', 7, NOW)]);
    await world.waitForProjection();
    expect(await held(LONG_AGO)).toBe(true);
    await projector.stop('SIGTERM');

    // when it restarts keeping two (Redis is rebuilt: its layout mark says how many it keeps)
    projector = await world.startProjector({ REDIS_KEEP_PERIODS: '2' });
    await world.produce([score('late', 3, NOW - 5 * DAY), score('now', 9, NOW)]);
    await world.waitForProjection();
    for (let i = 0; i < 100 && (await world.redis.get(keys().layout))?.endsWith(':keep=2') !== true; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }

    // then Redis holds today and all-time, PostgreSQL every instance
    expect(await world.redis.get(keys().layout)).toMatch(/:keep=2$/);
    expect(await held(TODAY)).toBe(true);
    expect(await held('all')).toBe(true);
    expect(await held(LONG_AGO)).toBe(false);
    const pg = await world.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM totals WHERE board = $1 AND period_key = $2',
      ['global', LONG_AGO],
    );
    expect(pg.rows[0]?.n).toBe(2);

    // and the query API answers the old day from PostgreSQL, today from Redis
    query = await startService('query-api', world.env.env, { port: await freePort() });
    const read = async (q: string) => {
      const res = await fetch(`${query!.url}/v1/boards/global/top?${q}`);
      return {
        servedBy: res.headers.get('x-served-by'),
        body: (await res.json()) as { entries: { userId: string }[] },
      };
    };
    const old = await read(`period=daily&at=${LONG_AGO.slice('daily:'.length)}`);
    expect(old.servedBy).toBe('postgres');
    expect(old.body.entries.map((e) => e.userId)).toEqual(['old', 'late']);
    const today = await read(`period=daily&at=${TODAY.slice('daily:'.length)}`);
    expect(today.servedBy).toBe('redis');
    expect(today.body.entries.map((e) => e.userId)).toEqual(['now', 'new']);
    await projector.stop('SIGTERM');
  });

  it('drops the instances that time moves past, once, and skips writes to them', async () => {
    // given a store that keeps one daily instance, a clock at noon, and yesterday's and today's in Redis
    const prefix = `${world.env.redisPrefix}drop:`;
    const dropKeys = redisKeys(prefix);
    let clock = Date.UTC(2026, 11, 6, 12);
    const store = createRedisStore(world.redis, prefix, { keepPeriods: 1, now: () => clock });
    await store.writeBoards([boardDef('b')]);
    await world.redis.zadd(dropKeys.leaderboard('b', 'daily:2026-12-05'), -1, 'x');
    await store.apply({ totals: [row('b', 'daily:2026-12-06', 1)], profiles: [], boards: [], watermarks: new Map() });
    expect(await world.redis.exists(dropKeys.leaderboard('b', 'daily:2026-12-06'))).toBe(1);

    // when the clock passes midnight and an hour's grace
    clock = Date.UTC(2026, 11, 7, 1, 1);
    const instances = ['daily:2026-12-05', 'daily:2026-12-06', 'daily:2026-12-07', 'all'].map((k) => ({
      board: 'b',
      periodKey: k,
    }));
    // then yesterday's instances leave, once; today's and all-time stay; a late write to them is skipped
    expect(await store.dropOldInstances(instances)).toBe(2);
    expect(await store.dropOldInstances(instances)).toBe(0);
    expect(await world.redis.exists(dropKeys.leaderboard('b', 'daily:2026-12-05'))).toBe(0);
    expect(await world.redis.exists(dropKeys.leaderboard('b', 'daily:2026-12-06'))).toBe(0);
    await store.apply({
      totals: [row('b', 'daily:2026-12-06', 2), row('b', 'daily:2026-12-07', 2)],
      profiles: [],
      boards: [],
      watermarks: new Map(),
    });
    expect(await world.redis.exists(dropKeys.leaderboard('b', 'daily:2026-12-06'))).toBe(0);
    expect(await world.redis.exists(dropKeys.memberIndex('b', 'daily:2026-12-07'))).toBe(1);
  });

  it('keeps the newest started seasons and those to come, drops older ones with their regional copies', async () => {
    // given a store keeping one instance per kind that has known two seasons since they began
    const prefix = `${world.env.redisPrefix}seasons:`;
    const seasonKeys = redisKeys(prefix);
    const H = 3_600_000;
    const T = Date.UTC(2026, 11, 6);
    let clock = T;
    const store = createRedisStore(world.redis, prefix, { keepPeriods: 1, now: () => clock });
    await store.writeBoards([{ ...boardDef('s'), periods: [] }]);
    const season = (seasonId: string, from: number, to: number) => ({
      seasonId,
      startsAt: T + from * H,
      endsAt: T + to * H,
    });
    const [s1, s2, s3] = [season('s1', 0, 10), season('s2', 10, 20), season('s3', 20, 40)];
    expect(store.setSchedules(new Map([['s', { seasons: [s1, s2], resets: [] }]]))).toBe(true);
    expect(store.setSchedules(new Map([['s', { seasons: [s1, s2], resets: [] }]]))).toBe(false);
    const keys = ['season:s1', 'season:s2', 'season:s2@EU', 'season:s3', 'season:s3@EU', 'season:s4'];
    for (const key of keys) await world.redis.zadd(seasonKeys.leaderboard('s', key), -1, 'x');
    const instances = keys.map((periodKey) => ({ board: 's', periodKey }));
    const held = async () => {
      const found = [];
      for (const key of keys) if ((await world.redis.exists(seasonKeys.leaderboard('s', key))) === 1) found.push(key);
      return found;
    };

    // when s3, which began at T+20h, is first seen at T+30h
    clock = T + 30 * H;
    expect(store.setSchedules(new Map([['s', { seasons: [s1, s2, s3], resets: [] }]]))).toBe(true);

    // then s2 stays an hour (the grace) past that sight, not past s3's start: the query API may learn of s3 later
    expect(await store.dropOldInstances(instances)).toBe(1);
    expect(await held()).toEqual(['season:s2', 'season:s2@EU', 'season:s3', 'season:s3@EU', 'season:s4']);

    // when an hour and a minute more have passed
    clock = T + 31 * H + 60_000;
    // (s1 is named again: the list of dropped instances is forgotten every hour)
    expect(await store.dropOldInstances(instances)).toBe(3);

    // then the season in progress, its regional copy, and a season not known yet stay; the rest went
    expect(await held()).toEqual(['season:s3', 'season:s3@EU', 'season:s4']);
    // and a late write to a dropped season is skipped, while the season in progress takes it
    await store.apply({
      totals: [row('s', 'season:s2', 2), row('s', 'season:s3', 2)],
      profiles: [],
      boards: [],
      watermarks: new Map(),
    });
    expect(await world.redis.exists(seasonKeys.memberIndex('s', 'season:s2'))).toBe(0);
    expect(await world.redis.exists(seasonKeys.memberIndex('s', 'season:s3'))).toBe(1);
  });

  it('reads each board change once from every partition that folded it, in the order first folded', async () => {
    // given a season and a reset folded by partition 1, and partition 0 behind it with the season only
    const store = createPostgresStore(world.db, world.env.eventsTopic);
    const insert = (partition: number, offset: number, action: string, season: string | null, at: number) =>
      world.db.query(
        `INSERT INTO partition_board_changes (partition, kafka_offset, board, action, season_id, starts_at, ends_at, occurred_at)
         VALUES ($1, $2, 'r', $3, $4, $5, $6, $7)`,
        [partition, offset, action, season, season ? 1_000 : null, season ? 9_000 : null, at],
      );
    await insert(1, 10, 'season', 'x1', 500);
    await insert(1, 11, 'reset', null, 2_000);
    await insert(0, 40, 'season', 'x1', 500);

    // then the schedule holds the season and the reset once each (the reset ended the season)
    expect((await store.readSchedules()).get('r')).toEqual({
      seasons: [{ seasonId: 'x1', startsAt: 1_000, endsAt: 2_000 }],
      resets: [2_000],
    });
  });
});
