import { compareEntries, type RankOrder, redisKeys, slotOf } from '@rankstream/schemas';
import { freePort, type LocalRedisCluster, startRedisCluster, startService } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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
    const top = async () => {
      const res = await fetch(`${query.url}/v1/boards/global/top?limit=10`);
      return { status: res.status, servedBy: res.headers.get('x-served-by'), body: (await res.json()) as any };
    };
    await untilServedByRedis(top);
    const rebuildsBefore = await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total');

    // when a master that does not hold the projection's state (so `ready` survives) is killed while
    // events keep coming, and comes back owning its slots, empty
    const keys = redisKeys(world.env.redisPrefix);
    const stateNode = await cluster.nodeOf(slotOf(keys.ready));
    const victim = [0, 1, 2].find((n) => n !== stateNode)!;
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
    const expected = expectedBoards(oracle(world.produced).totals, ORDERS, compareEntries).get('global:all') ?? [];
    const answer = await untilServedByRedis(top);
    expect(answer.body.entries.map((e: { userId: string; score: number }) => [e.userId, e.score])).toEqual(
      expected.slice(0, 10).map((e) => [e.userId, e.score]),
    );
    await projector.stop('SIGKILL');
  });
});
