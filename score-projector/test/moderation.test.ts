import { type AnyEventInput, redisKeys } from '@rankstream/schemas';
import { freePort, startService } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { oracle } from './oracle.js';
import { redisVersions } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { randomStream, seededRandom, TEST_BOARDS } from './random-stream.js';

/**
 * randomStream with admin events spliced in: entries removed (a whole board, one instance), users
 * banned and unbanned, a few erased, every action keyed by its user like the score events it acts on.
 */
function moderatedStream(seed: number, count: number, users: number): AnyEventInput[] {
  const rnd = seededRandom(seed + 1);
  const out: AnyEventInput[] = [];
  const banned = new Set<string>();
  for (const [i, input] of randomStream(seed, count, users).entries()) {
    out.push(input);
    if (input.kind !== 'score' || rnd() > 0.06) continue;
    const { userId, occurredAt, periods = [] } = input.event;
    const base = { eventId: `admin-${seed}-${i}`, userId, actor: 'moderator', occurredAt };
    const roll = rnd();
    if (roll < 0.08) {
      out.push({ kind: 'admin', event: { ...base, action: 'erase' } });
    } else if (roll < 0.45) {
      const { board } = TEST_BOARDS[Math.floor(rnd() * TEST_BOARDS.length)]!;
      const periodKey =
        rnd() < 0.5
          ? null
          : periods.includes('daily')
            ? `daily:${new Date(occurredAt).toISOString().slice(0, 10)}`
            : 'all';
      out.push({ kind: 'admin', event: { ...base, action: 'remove_entry', board, periodKey, reason: 'cheating' } });
    } else if (banned.has(userId)) {
      banned.delete(userId);
      out.push({ kind: 'admin', event: { ...base, action: 'unban' } });
    } else {
      banned.add(userId);
      out.push({ kind: 'admin', event: { ...base, action: 'ban', reason: 'scripted play' } });
    }
  }
  return out;
}

describe('moderation events', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('moderation');
  });
  afterAll(async () => world?.close());

  /** The oracle's bans and audit, against user_bans and admin_audit. */
  async function expectModerationTables(): Promise<void> {
    const unique = new Map<string, AnyEventInput & { kind: 'admin' }>();
    const inLogOrder = [...world.produced].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    const bans = new Map<string, [boolean, boolean]>();
    for (const { input } of inLogOrder) {
      if (input.kind !== 'admin' || unique.has(input.event.eventId)) continue;
      unique.set(input.event.eventId, input);
      const { action, userId } = input.event;
      if (action === 'remove_entry') continue;
      const [banned, erased] = bans.get(userId) ?? [false, false];
      bans.set(userId, [action === 'ban' || (action !== 'unban' && banned), erased || action === 'erase']);
    }
    const { rows: banRows } = await world.db.query('SELECT user_id, banned, erased FROM user_bans');
    expect(new Map(banRows.map((r) => [r.user_id, [r.banned, r.erased]]))).toEqual(bans);
    const erasedUsers = [...bans].filter(([, [, erased]]) => erased).map(([userId]) => userId);
    expect(erasedUsers.length).toBeGreaterThan(0);
    const { rows: keys } = await world.db.query(
      'SELECT user_id FROM user_keys WHERE key IS NULL AND erased_at IS NOT NULL ORDER BY user_id',
    );
    expect(keys.map((r) => r.user_id)).toEqual([...erasedUsers].sort());
    const { rows: audit } = await world.db.query(
      'SELECT event_id, action, user_id, board, period_key, actor FROM admin_audit',
    );
    expect(new Map(audit.map((r) => [r.event_id, [r.action, r.user_id, r.board, r.period_key, r.actor]]))).toEqual(
      new Map(
        [...unique.values()].map(({ event: e }) => [
          e.eventId,
          [e.action, e.userId, e.board ?? null, e.periodKey ?? null, e.actor],
        ]),
      ),
    );
  }

  it('removes entries and bans at their log position, once, through a crash, duplicates and a replay', async () => {
    // given a stream with removals, bans and unbans among the score events
    const stream = moderatedStream(51, 1_600, 25);
    expect(stream.filter((e) => e.kind === 'admin').length).toBeGreaterThan(40);

    // when it is projected, the projector SIGKILLed midway, and every admin event sent twice
    let projector = await world.startProjector();
    await world.produce(stream.slice(0, 800), 20);
    await projector.stop('SIGKILL');
    projector = await world.startProjector();
    await world.produce(stream.slice(800), 20);
    await world.produce(
      stream.filter((e) => e.kind === 'admin'),
      20,
    );
    await world.waitForProjection();

    // then both stores equal the oracle: removed totals gone until a later event, banned users' events ignored
    await world.expectProjectionEqualsOracle();
    await expectModerationTables();
    const expected = oracle(world.produced);
    expect(
      await counterValue(projector.url, 'rankstream_projector_events_skipped_total', 'reason="banned"'),
    ).toBeGreaterThan(0);

    // and every tombstone in Redis is a total the oracle does not hold
    const tombstones = [...(await redisVersions(world.redis, world.env.redisPrefix))].flatMap(([instance, hash]) =>
      Object.entries(hash).flatMap(([userId, v]) =>
        v.endsWith('|') ? [`${instance.replace(':', '/')}/${userId}`] : [],
      ),
    );
    for (const id of tombstones) expect(expected.totals.has(id), id).toBe(false);

    // and Redis answers byte-identically to PostgreSQL for every board, removed or banned users included
    await expectSameAnswers(expected.totals);

    // when a player's entry is removed in a batch of its own (so that a stored total is deleted),
    // and Redis then misses that removal and an erasure (their writes lost), and is found behind
    const occurredAt = Date.UTC(2026, 11, 1);
    await world.produce([{ kind: 'score', event: { eventId: 'victim-1', userId: 'victim', value: 7, occurredAt } }]);
    await world.waitForProjection();
    const removal = { action: 'remove_entry' as const, board: 'global', periodKey: null, actor: 'moderator' };
    await world.produce([{ kind: 'admin', event: { eventId: 'victim-rm', userId: 'victim', occurredAt, ...removal } }]);
    await world.waitForProjection();
    const removedRows = (await world.db.query("SELECT * FROM removed_totals WHERE user_id = 'victim'")).rows;
    expect(removedRows.map((r) => [r.board, r.period_key])).toEqual([['global', 'all']]);
    const [board, periodKey, userId] = ['global', 'all', 'victim'];
    const keys = redisKeys(world.env.redisPrefix);

    const stale = `${'0'.repeat(13)}:${userId}`;
    const erasedUser = (await world.db.query('SELECT user_id FROM user_bans WHERE erased LIMIT 1')).rows[0].user_id;
    const rebuilds = await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total');
    await world.redis.zadd(keys.leaderboard(board, periodKey), 0, stale);
    await world.redis.hset(keys.memberIndex(board, periodKey), userId, `1|${stale}`);
    await world.redis.hset(keys.profiles, erasedUser, JSON.stringify([1, 'Still here', null, null]));
    await world.redis.hset(keys.watermarks, '0', '0');

    // then the rebuild takes them out again
    await expect
      .poll(() => counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total'), { timeout: 20_000 })
      .toBeGreaterThan(rebuilds);
    await world.waitForProjection();
    await world.expectProjectionEqualsOracle();
    expect(await world.redis.zscore(keys.leaderboard(board, periodKey), stale)).toBeNull();
    expect(await world.redis.hget(keys.profiles, erasedUser)).toBe(JSON.stringify([Number.MAX_SAFE_INTEGER]));

    // when the projections are replayed from the start of the log
    await projector.stop('SIGTERM');
    await world.replay('--from-start');
    projector = await world.startProjector();
    await world.waitForProjection();

    // then the same moderated state comes back
    await world.expectProjectionEqualsOracle();
    await expectModerationTables();
    await expectSameAnswers(expected.totals);
    await projector.stop('SIGTERM');
  });

  async function expectSameAnswers(totals: ReadonlyMap<string, unknown>): Promise<void> {
    const fromRedis = await startService('query-api', world.env.env, { port: await freePort() });
    const fromPostgres = await startService(
      'query-api',
      { ...world.env.env, REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_CLUSTER: 'false' },
      { port: await freePort() },
    );
    try {
      const users = new Set(
        [...world.produced].flatMap((p) => (p.input.kind === 'board' ? [] : [p.input.event.userId])),
      );
      const paths: string[] = [];
      for (const { board } of TEST_BOARDS) {
        paths.push(`/v1/boards/${board}/top?limit=100`);
        for (const u of users)
          paths.push(`/v1/boards/${board}/users/${u}`, `/v1/boards/${board}/users/${u}/around?radius=2`);
      }
      // every user's standing on every board with their profile: erased ones have neither
      for (const u of users) paths.push(`/v1/users/${u}`);
      // A fresh query API serves from PostgreSQL until it has read the projection's state (on a
      // cluster, every slot's marker) once.
      await expect
        .poll(async () => (await fetch(`${fromRedis.url}${paths[0]}`)).headers.get('x-served-by'), { timeout: 20_000 })
        .toBe('redis');
      let ranked = 0;
      for (const path of paths) {
        const [a, b] = await Promise.all([fetch(`${fromRedis.url}${path}`), fetch(`${fromPostgres.url}${path}`)]);
        expect(a.headers.get('x-served-by'), path).toBe('redis');
        expect(b.headers.get('x-served-by'), path).toBe('postgres');
        expect([a.status, await a.text()], path).toEqual([b.status, await b.text()]);
        if (a.status === 200) ranked++;
      }
      // some users are on no board (removed, banned from the start), most are on some
      expect(ranked).toBeGreaterThan(TEST_BOARDS.length);
      expect(totals.size).toBeGreaterThan(0);
    } finally {
      await Promise.all([fromRedis.stop('SIGKILL'), fromPostgres.stop('SIGKILL')]);
    }
  }
});
