import { redisKeys } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { logEndOffsets, postgresOffsets } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream } from './random-stream.js';
import { startTcpProxy } from './tcp-proxy.js';

async function committedOffsets(world: ProjectorWorld): Promise<Record<number, string>> {
  const [topic] = await world.admin.fetchOffsets({ groupId: world.groupId, topics: [world.env.eventsTopic] });
  return Object.fromEntries((topic?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

describe('PostgreSQL or Redis unreachable while the projector runs', () => {
  let world: ProjectorWorld;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_outage');
    const url = new URL(world.env.databaseUrl);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const redisUrl = new URL(world.env.redisUrl);
    redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  });
  afterAll(async () => {
    await proxy?.close();
    await redisProxy?.close();
    await world?.close();
  });

  it('advances no offset while PostgreSQL is gone, resumes by itself, and ends equal to the oracle', async () => {
    // given a projector that reaches PostgreSQL through a proxy, and a projected first part
    const viaProxy = new URL(world.env.databaseUrl);
    viaProxy.port = String(proxy.port);
    // Few retries, so that the outage also outlasts them: kafkajs must restart the consumer itself.
    const projector = await world.startProjector({ DATABASE_URL: viaProxy.toString(), PROJECTOR_BATCH_RETRIES: '2' });
    const stream = randomStream(99, 3_000, 40);
    await world.produce(stream.slice(0, 1_000));
    await world.waitForProjection();

    // when every connection is cut and refused for a while, as events keep arriving
    await proxy.cut();
    const pgBefore = await postgresOffsets(world.db, world.env.eventsTopic);
    const kafkaBefore = await committedOffsets(world);
    await world.produce(stream.slice(1_000, 2_000));
    await sleep(6_000);

    // then nothing advanced: neither PostgreSQL's checkpoints nor the group's Kafka offsets
    expect(await postgresOffsets(world.db, world.env.eventsTopic)).toEqual(pgBefore);
    expect(await committedOffsets(world)).toEqual(kafkaBefore);
    const readiness = await fetch(`${projector.url}/readyz`);
    expect(readiness.status).toBe(503);

    // and when PostgreSQL is back, the same process catches up with everything, exactly once
    await proxy.restore();
    await world.produce(stream.slice(2_000));
    await world.waitForProjection(90_000);
    expect(projector.child.exitCode).toBe(null);
    expect(projector.output()).toMatch(/"restart":true.*consumer crashed/);
    await world.expectProjectionEqualsOracle();
    await projector.stop('SIGKILL');
  });

  it('keeps PostgreSQL advancing while Redis is gone, and brings Redis up to date when it returns', async () => {
    // given a projector that reaches Redis through a proxy
    const viaProxy = new URL(world.env.redisUrl);
    viaProxy.port = String(redisProxy.port);
    const projector = await world.startProjector({ REDIS_URL: viaProxy.toString() });
    const stream = randomStream(100, 2_000, 40);
    await world.produce(stream.slice(0, 500));
    await world.waitForProjection();

    // when Redis is unreachable while events arrive
    await redisProxy.cut();
    const wmBefore = await world.redis.hgetall(redisKeys(world.env.redisPrefix).watermarks);
    await world.produce(stream.slice(500, 1_500));
    const ends = await logEndOffsets(world.admin, world.env.eventsTopic);
    for (;;) {
      const pg = await postgresOffsets(world.db, world.env.eventsTopic);
      if ([...ends].every(([p, end]) => (pg.get(p) ?? 0) >= end)) break;
      await sleep(200);
    }

    // then PostgreSQL caught up on its own, Redis did not move, and once back Redis matches the oracle
    expect(await world.redis.hgetall(redisKeys(world.env.redisPrefix).watermarks)).toEqual(wmBefore);
    await redisProxy.restore();
    await world.produce(stream.slice(1_500));
    // The watermarks stay put until the rebuild has filled the holes, so readers never trust a
    // Redis that lacks the totals written while it was gone.
    await world.waitForProjection(30_000);
    await expect
      .poll(() => counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total', 'write_failed'), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    await world.expectProjectionEqualsOracle();
  });
});
