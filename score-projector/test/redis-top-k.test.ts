import { type AnyEventInput, compareEntries, type RankOrder, redisKeys } from '@rankstream/schemas';
import { deleteRedisPrefix, freePort, type ServiceProcess, startService } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { expectedBoards, oracle } from './oracle.js';
import { redisBoards, redisVersions } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream, TEST_BOARDS } from './random-stream.js';

const K = 5;
const ORDERS = new Map<string, RankOrder>([...TEST_BOARDS.map((b) => [b.board, b.order] as const), ['climb', 'desc']]);

describe('board instances capped at their best K entries in Redis (REDIS_TOP_K)', () => {
  let world: ProjectorWorld;
  let projector: ServiceProcess;
  let capped: ServiceProcess;
  /** A query API that cannot reach Redis: every answer comes from PostgreSQL, as an uncapped one's would. */
  let reference: ServiceProcess;
  beforeAll(async () => {
    world = await createProjectorWorld('top_k');
    projector = await world.startProjector({ REDIS_TOP_K: String(K), REDIS_CHECK_INTERVAL_MS: '500' });
    capped = await startService('query-api', world.env.env, { port: await freePort() });
    reference = await startService(
      'query-api',
      { ...world.env.env, REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_CLUSTER: 'false' },
      { port: await freePort() },
    );
  });
  afterAll(async () => {
    await Promise.all([capped?.stop('SIGKILL'), reference?.stop('SIGKILL')]);
    await world?.close();
  });

  const expected = () => expectedBoards(oracle(world.produced).totals, ORDERS, compareEntries);

  /**
   * Then: each instance's sorted set is the start of its ranking, at most K long, and counts every
   * player. `settled`: no fewer than K/2 entries unless that is all of them (a shrunk instance is
   * refilled within a check interval, or a few on a loaded host), so this retries for up to 30 s;
   * `full`: min(K, players).
   */
  async function expectCappedRedis(length: 'settled' | 'full'): Promise<Map<string, number>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await readCappedRedis(length);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }

  async function readCappedRedis(length: 'settled' | 'full'): Promise<Map<string, number>> {
    const want = expected();
    const got = await redisBoards(world.redis, world.env.redisPrefix, ORDERS);
    const versions = await redisVersions(world.redis, world.env.redisPrefix);
    const held = new Map<string, number>();
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [instance, all] of want) {
      const list = got.get(instance) ?? [];
      expect(list.length).toBeLessThanOrEqual(K);
      if (length === 'full') expect(list.length).toBe(Math.min(K, all.length));
      else expect(list.length * 2 >= K || list.length === all.length, `${instance}: ${list.length}`).toBe(true);
      expect(list).toEqual(all.slice(0, list.length));
      // the member index holds exactly the members held, besides the tombstones (`version|`) that a
      // removal during a fill leaves to keep the fill's older rows out (redis-top-k.ts, apply_rows)
      const indexed = Object.entries(versions.get(instance) ?? {}).filter(([, v]) => !/^\d+\|$/.test(v));
      expect(indexed.map(([user]) => user).sort()).toEqual(list.map((e) => e.userId).sort());
      const [board = '', periodKey = ''] = [
        instance.slice(0, instance.indexOf(':')),
        instance.slice(instance.indexOf(':') + 1),
      ];
      const [sum, fill] = await world.redis.hmget(
        redisKeys(world.env.redisPrefix).instanceMeta(board, periodKey),
        'sum',
        'fill',
      );
      expect(Number(sum)).toBe(all.length);
      expect(fill, `${instance} is being refilled`).toBeNull();
      held.set(instance, list.length);
    }
    return held;
  }

  async function get(service: ServiceProcess, path: string) {
    const res = await fetch(`${service.url}${path}`);
    return { status: res.status, servedBy: res.headers.get('x-served-by'), body: await res.text() };
  }

  /** The capped service's answer, equal byte for byte to the PostgreSQL one, and served by the store named. */
  async function expectAnswer(path: string, servedBy: 'redis' | 'postgres') {
    const [a, b] = [await get(capped, path), await get(reference, path)];
    expect({ path, status: a.status, body: a.body }).toEqual({ path, status: b.status, body: b.body });
    expect({ path, servedBy: a.servedBy }).toEqual({ path, servedBy });
    return JSON.parse(a.body);
  }

  /** Reads until the capped service answers from Redis again (it holds the state in memory for a moment). */
  async function untilRedisServes(path: string) {
    const deadline = Date.now() + 20_000;
    while ((await get(capped, path)).servedBy !== 'redis') {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }
  }

  it('keeps the best K of every instance and counts every player, live and after a rebuild', async () => {
    onTestFailed(() => console.log(`projector output:\n${projector.output().slice(-8_000)}`));
    // given a stream of every op over 40 players, projected live with K = 5
    await world.produce(randomStream(31, 1_500, 40));
    await world.waitForProjection();

    // then each instance holds a true start of its ranking (set and min ops can shorten it below K,
    // down to K/2 before a refill)
    await expectCappedRedis('settled');
    await world.expectPostgresEqualsOracle();

    // when Redis is flushed and rebuilt from PostgreSQL
    const rebuilds = await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total');
    await deleteRedisPrefix(world.env.redisUrl, world.env.redisPrefix);
    const deadline = Date.now() + 30_000;
    while ((await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total')) <= rebuilds) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }
    await world.waitForProjection();

    // then every instance holds exactly its best min(K, players)
    await expectCappedRedis('full');

    // when Redis is flushed again while events keep arriving
    const before = await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total');
    const more = world.produce(randomStream(32, 1_000, 40), 20);
    await sleep(300);
    await deleteRedisPrefix(world.env.redisUrl, world.env.redisPrefix);
    await more;
    await world.waitForProjection();

    // then the rebuild ran beside the live batches, and every instance is again a true start of its ranking
    // (Redis is marked ready a round trip before the counter moves)
    await expect
      .poll(() => counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total'), { timeout: 10_000 })
      .toBeGreaterThan(before);
    await expectCappedRedis('settled');
    await world.expectPostgresEqualsOracle();
  });

  it('answers ranks K and K+1, pages across K and neighbours past it from PostgreSQL, byte-identical', async () => {
    onTestFailed(async () => {
      const metrics = await (await fetch(`${capped.url}/metrics`)).text();
      console.log(
        metrics
          .split('\n')
          .filter((l) => l.startsWith('query_fallbacks_total'))
          .join('\n'),
      );
    });
    // Shrunk instances the last batches reported are refilled within a check interval or two.
    await sleep(1_500);
    await untilRedisServes('/v1/boards/global/top?limit=1');
    const want = expected();
    const held = await expectCappedRedis('settled');
    for (const { board } of TEST_BOARDS) {
      const ranking = want.get(`${board}:all`) ?? [];
      const inRedis = held.get(`${board}:all`) ?? 0;
      const partial = inRedis < ranking.length;
      expect(ranking.length).toBeGreaterThan(K + 2);
      // every player's rank: from Redis up to the last one held, then from PostgreSQL
      for (const [i, e] of ranking.entries()) {
        const answer = await expectAnswer(`/v1/boards/${board}/users/${e.userId}`, i < inRedis ? 'redis' : 'postgres');
        expect([answer.rank, answer.userId, answer.score]).toEqual([i + 1, e.userId, e.score]);
      }
      await expectAnswer(`/v1/boards/${board}/users/nobody`, partial ? 'postgres' : 'redis');
      // pages: within what Redis holds, straddling its end, and past it
      const top = await expectAnswer(`/v1/boards/${board}/top?limit=${inRedis}`, 'redis');
      expect(top.entries.map((x: { userId: string }) => x.userId)).toEqual(
        ranking.slice(0, inRedis).map((x) => x.userId),
      );
      await expectAnswer(`/v1/boards/${board}/top?offset=${inRedis - 1}&limit=2`, partial ? 'postgres' : 'redis');
      const past = await expectAnswer(`/v1/boards/${board}/top?offset=${K}&limit=3`, 'postgres');
      expect(past.entries.map((x: { rank: number }) => x.rank)).toEqual([K + 1, K + 2, K + 3]);
      const cursor = encodeURIComponent(top.nextCursor);
      await expectAnswer(`/v1/boards/${board}/top?cursor=${cursor}&limit=1`, partial ? 'postgres' : 'redis');
      // neighbours: served by Redis only when the whole window is held
      for (const [i, e] of ranking.entries()) {
        await expectAnswer(
          `/v1/boards/${board}/users/${e.userId}/around?radius=1`,
          i + 1 < inRedis || !partial ? 'redis' : 'postgres',
        );
      }
      const first = ranking[0]!.userId;
      await expectAnswer(`/v1/boards/${board}/ranks?userIds=${first}`, 'redis');
      await expectAnswer(`/v1/boards/${board}/ranks?userIds=${first},${ranking.at(-1)!.userId}`, 'postgres');
    }
    // an add-only board never shrinks, so ranks K and K+1 themselves were answered above
    expect([...held.entries()].filter(([instance, n]) => instance.endsWith(':all') && n === K).length).toBeGreaterThan(
      0,
    );
    expect(await counterValue(capped.url, 'query_fallbacks_total', 'beyond_top_k')).toBeGreaterThan(0);
  });

  it('lets a player who climbs into the top K in, one who falls out leave, and refills a shrunk instance', async () => {
    // given a board of seven players, 10 to 70 points
    const event = (userId: string, value: number, n: number): AnyEventInput => ({
      kind: 'score',
      event: { eventId: `climb-${n}`, userId, board: 'climb', op: 'set', value, occurredAt: Date.UTC(2026, 11, 1) },
    });
    const players = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    await world.produce(players.map((u, i) => event(u, (i + 1) * 10, i)));
    await world.waitForProjection();
    const held = async () =>
      (await redisBoards(world.redis, world.env.redisPrefix, ORDERS)).get('climb:all')?.map((e) => e.userId);
    expect(await held()).toEqual(['g', 'f', 'e', 'd', 'c']);

    // when a climbs to the top, then g falls to the bottom
    await world.produce([event('a', 100, 7)]);
    await world.waitForProjection();
    expect(await held()).toEqual(['a', 'g', 'f', 'e', 'd']);
    await world.produce([event('g', 0, 8)]);
    await world.waitForProjection();

    // then a is in Redis, c and g are not, and every answer is still exact
    expect(await held()).toEqual(['a', 'f', 'e', 'd']);
    await untilRedisServes('/v1/boards/climb/top?limit=1');
    const g = await expectAnswer('/v1/boards/climb/users/g', 'postgres');
    expect([g.rank, g.score]).toEqual([7, 0]);
    const a = await expectAnswer('/v1/boards/climb/users/a', 'redis');
    expect([a.rank, a.score, a.total]).toEqual([1, 100, 7]);

    // when d and e fall too, leaving Redis two entries of seven players (fewer than K/2)
    const refills = await counterValue(projector.url, 'rankstream_projector_redis_refills_total');
    await world.produce([event('d', 1, 9), event('e', 2, 10)]);
    await world.waitForProjection();

    // then the projector refills the instance from PostgreSQL with its best K
    const deadline = Date.now() + 15_000;
    while (JSON.stringify(await held()) !== JSON.stringify(['a', 'f', 'c', 'b', 'e'])) {
      expect(Date.now(), `held ${await held()}`).toBeLessThan(deadline);
      await sleep(100);
    }
    expect(await counterValue(projector.url, 'rankstream_projector_redis_refills_total')).toBe(refills + 1);
    await world.expectPostgresEqualsOracle();
  });
});
