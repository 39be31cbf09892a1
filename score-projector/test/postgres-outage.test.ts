import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOffsets } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream } from './random-stream.js';
import { startTcpProxy } from './tcp-proxy.js';

async function committedOffsets(world: ProjectorWorld): Promise<Record<number, string>> {
  const [topic] = await world.admin.fetchOffsets({ groupId: world.groupId, topics: [world.env.eventsTopic] });
  return Object.fromEntries((topic?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

describe('PostgreSQL unreachable while the projector runs', () => {
  let world: ProjectorWorld;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_pgdown');
    const url = new URL(world.env.databaseUrl);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    await proxy?.close();
    await world?.close();
  });

  it('advances no offset while PostgreSQL is gone, resumes by itself, and ends equal to the oracle', async () => {
    // given a projector that reaches PostgreSQL through a proxy, and a projected first part
    const viaProxy = new URL(world.env.databaseUrl);
    viaProxy.port = String(proxy.port);
    const projector = await world.startProjector({ DATABASE_URL: viaProxy.toString() });
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
    await world.expectProjectionEqualsOracle();
  });
});
