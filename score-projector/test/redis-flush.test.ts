import { REDIS_LAYOUT, redisKeys } from '@rankstream/schemas';
import { deleteRedisPrefix } from '@rankstream/tools/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream } from './random-stream.js';

describe('Redis flushed while the projector runs', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_flush');
  });
  afterEach(async () => world?.stopProjectors());
  afterAll(async () => world?.close());

  it('notices within seconds, rebuilds from PostgreSQL without stopping, and ends equal to the oracle', async () => {
    // given a projector that has projected part of a stream
    const projector = await world.startProjector();
    const stream = randomStream(7, 4_000, 50);
    await world.produce(stream.slice(0, 2_000));
    await world.waitForProjection();
    const rebuildsBefore = await counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total');
    const seenFlushed = () =>
      Promise.all(
        (['missing', 'behind'] as const).map((reason) =>
          counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total', reason),
        ),
      ).then((counts) => counts.reduce((sum, n) => sum + n, 0));
    const seenBefore = await seenFlushed();

    // when every key of the prefix is deleted while more events arrive
    const rest = world.produce(stream.slice(2_000), 100);
    await sleep(200);
    await deleteRedisPrefix(world.env.redisUrl, world.env.redisPrefix);
    const flushedAt = Date.now();
    await rest;

    // then Redis is marked ready again (a rebuild ran) within 10 s, and holds exactly the oracle
    while (!(await world.redis.exists(redisKeys(world.env.redisPrefix).ready))) {
      expect(Date.now() - flushedAt).toBeLessThan(10_000);
      await sleep(100);
    }
    await world.waitForProjection();
    // Redis is marked ready a round trip before the counter moves.
    await expect
      .poll(() => counterValue(projector.url, 'rankstream_projector_redis_rebuilds_total'), { timeout: 10_000 })
      .toBe(rebuildsBefore + 1);
    // The delete is not atomic (the ready mark goes last, as across cluster slots): a check in between
    // finds the watermarks gone first (`behind`), one after finds Redis not ready (`missing`).
    expect(await seenFlushed()).toBe(seenBefore + 1);
    await world.expectProjectionEqualsOracle();
    await projector.stop('SIGKILL');
  });

  it('catches up a Redis that missed a committed batch (watermark behind PostgreSQL) on the next start', async () => {
    // given a projected stream, whose Redis watermark for one partition is then put back, as if the
    // projector had died between the PostgreSQL commit and the Redis write
    const first = await world.startProjector();
    await world.produce(randomStream(8, 500, 20));
    await world.waitForProjection();
    await first.stop('SIGKILL');
    await world.redis.hset(redisKeys(world.env.redisPrefix).watermarks, '0', '0');
    const lb = redisKeys(world.env.redisPrefix).leaderboard('global', 'all');
    await world.redis.del(lb, redisKeys(world.env.redisPrefix).memberIndex('global', 'all'));

    // when a projector starts with no events arriving
    const again = await world.startProjector();
    onTestFailed(() => console.log(`projector output:\n${again.output()}`));

    // then it notices and rebuilds
    await world.waitForProjection(20_000);
    expect(await counterValue(again.url, 'rankstream_projector_redis_rebuilds_total', 'behind')).toBe(1);
    await world.expectProjectionEqualsOracle();
  });

  it('rebuilds a Redis built in an earlier layout, and leaves none of its keys', async () => {
    // given a projected stream whose Redis then also holds earlier layouts' keys: no layout mark, a
    // hash per profile (layout 1), untagged state and board keys (layout 2)
    const first = await world.startProjector();
    await world.produce(randomStream(9, 500, 20));
    await world.waitForProjection();
    await first.stop('SIGKILL');
    const keys = redisKeys(world.env.redisPrefix);
    await world.redis.del(keys.layout);
    await world.redis.del(keys.profiles);
    await world.redis.hset(`${keys.startOf('layout1Profile')}someone`, 'username', 'Old', 'version', '0');
    const layout2 = ['ready', 'wm', 'boards', 'profiles', 'lb:global:all', 'lbu:global:all'].map(
      (k) => `${world.env.redisPrefix}${k}`,
    );
    for (const k of layout2) await world.redis.set(k, 'old');

    // when a projector starts
    const again = await world.startProjector();

    // then Redis is rebuilt (as one without data) and marked with the layout, and ends equal to the
    // oracle, profiles included, with no key of the old layout left
    const started = Date.now();
    while ((await world.redis.get(keys.layout)) !== REDIS_LAYOUT) {
      expect(Date.now() - started).toBeLessThan(20_000);
      await sleep(100);
    }
    await world.waitForProjection(20_000);
    expect(await world.redis.exists(`${keys.startOf('layout1Profile')}someone`)).toBe(0);
    for (const k of layout2) expect(await world.redis.exists(k)).toBe(0);
    await world.expectProjectionEqualsOracle();
    await again.stop('SIGKILL');
  });
});
