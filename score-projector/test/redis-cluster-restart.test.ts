import { compareEntries, type RankOrder, redisKeys, slotOf } from '@rankstream/schemas';
import {
  connectTestRedis,
  freePort,
  type LocalRedisCluster,
  startRedisCluster,
  startService,
} from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createRedisStore } from '../src/adapters/redis-store.js';
import { counterValue } from './metrics-scrape.js';
import { expectedBoards, oracle } from './oracle.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream, TEST_BOARDS } from './random-stream.js';

const ORDERS = new Map<string, RankOrder>(TEST_BOARDS.map((b) => [b.board, b.order]));

/** The first answer Redis gives within 20 s: the query API may hold an older state for a moment. */
async function untilServedByRedis<T extends { servedBy: string | null }>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await read();
    if (answer.servedBy === 'redis') return answer;
    expect(Date.now()).toBeLessThan(deadline);
    await sleep(200);
  }
}

describe('a Redis Cluster master restarted empty', () => {
  let cluster: LocalRedisCluster;
  let world: ProjectorWorld;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    world = await createProjectorWorld('cluster_restart', 3, { redisUrl: cluster.url });
  });
  afterAll(async () => {
    await world?.close();
    await cluster?.destroy();
  });

  it('answers from PostgreSQL meanwhile, rebuilds the lost slots, and ends equal to the oracle', async () => {
    // given a projection on a three-master cluster, read through a query API
    const projector = await world.startProjector({ REDIS_CHECK_INTERVAL_MS: '500' });
    const query = await startService(
      'query-api',
      { ...world.env.env, REDIS_DEADLINE_MS: '200' },
      { port: await freePort() },
    );
    onTestFinished(async () => {
      await query.stop('SIGKILL');
    });
    const stream = randomStream(11, 3_000, 60);
    await world.produce(stream.slice(0, 1_500));
    await world.waitForProjection();
    // The board read is one whose all-time instance lives on another master than the projection's
    // state, so that the master killed holds the rows read while `ready` survives.
    const keys = redisKeys(world.env.redisPrefix);
    const stateNode = await cluster.nodeOf(slotOf(keys.ready));
    let board = TEST_BOARDS[0]!.board;
    let victim = stateNode;
    for (const b of TEST_BOARDS) {
      const node = await cluster.nodeOf(slotOf(keys.leaderboard(b.board, 'all')));
      if (node !== stateNode) {
        board = b.board;
        victim = node;
        break;
      }
    }
    const top = async () => {
      const res = await fetch(`${query.url}/v1/boards/${board}/top?limit=10`);
      const body = (await res.json()) as { entries?: { userId: string; score: number }[] };
      return { status: res.status, servedBy: res.headers.get('x-served-by'), entries: body.entries ?? [] };
    };
    await untilServedByRedis(top);
    const rebuildsBefore = await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total');

    // when that master is killed while events keep coming, and comes back owning its slots, empty
    const rest = world.produce(stream.slice(1_500), 100);
    await cluster.kill(victim);
    const during: number[] = [];
    for (let i = 0; i < 10; i++) {
      during.push((await top()).status);
      await sleep(100);
    }
    await cluster.restart(victim);
    const afterRestart = await top();
    await rest;

    // then every read was answered (PostgreSQL stands in), the projector rebuilt Redis by itself,
    // and both stores and the query API's Redis answers equal the oracle
    expect(during.every((s) => s === 200)).toBe(true);
    expect(afterRestart.status).toBe(200);
    const deadline = Date.now() + 30_000;
    while ((await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total')) <= rebuildsBefore) {
      if (Date.now() > deadline) throw new Error(`no rebuild:\n${projector.output().slice(-6_000)}`);
      await sleep(200);
    }
    await world.waitForProjection(30_000);
    await world.expectProjectionEqualsOracle();
    const expected = expectedBoards(oracle(world.produced).totals, ORDERS, compareEntries).get(`${board}:all`) ?? [];
    const answer = await untilServedByRedis(top);
    expect(answer.entries.map((e) => [e.userId, e.score])).toEqual(
      expected.slice(0, 10).map((e) => [e.userId, e.score]),
    );
    await projector.stop('SIGKILL');
  });

  it('does not finish a rebuild during which a master lost its data', async () => {
    // given a rebuild that has named its epoch (every slot's marker holds it)
    const redis = connectTestRedis(cluster.url);
    onTestFinished(() => redis.disconnect());
    const store = createRedisStore(redis, `${world.env.redisPrefix}rebuild:`);
    expect(await store.tryLock('r1', 60_000)).toBe(true);
    const epoch = await store.startRebuild('r1', Date.now());

    // when a master restarts empty before the rebuild ends (not the one with the lock and `ready`)
    const victim = ((await cluster.nodeOf(slotOf(redisKeys('any:').ready))) + 1) % 3;
    await cluster.kill(victim);
    await cluster.restart(victim);

    // then the rebuild cannot mark the projection ready, and the next one can
    expect(await store.finishRebuild('r1', epoch, new Map([[0, 1]]))).toBe(false);
    expect(await store.isReady()).toBe(false);
    const again = await store.startRebuild('r1', Date.now());
    expect(await store.finishRebuild('r1', again, new Map([[0, 1]]))).toBe(true);
    expect(await store.isReady()).toBe(true);
  });
});
