import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream } from './random-stream.js';

const SEED = Number(process.env.TEST_SEED ?? 424242);

/** The partitions each assignment gave a projector, from its log. */
const assignments = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.includes('partitions assigned'))
    .map((l) => JSON.parse(l).partitions as number[]);

describe('two projector instances in one consumer group', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_rebalance', 4);
  });
  afterAll(async () => world?.close());

  it('counts every event once across rebalances: a second instance joins midway, then the first leaves', async () => {
    // given a stream produced steadily while instance A projects it
    const stream = randomStream(SEED, 5_000, 60);
    const production = (async () => {
      for (let i = 0; i < stream.length; i += 100) {
        await world.produce(stream.slice(i, i + 100));
        await sleep(120);
      }
    })();
    const a = await world.startProjector({ LOG_LEVEL: 'info' });
    await sleep(1_500);

    // when instance B joins (partitions move to it), then A shuts down (they all move to B), and
    // then A comes back and B is killed outright
    const b = await world.startProjector({ LOG_LEVEL: 'info' });
    // B has joined once the group gave it a share (on a loaded machine that takes longer than A's run).
    await expect
      .poll(() => assignments(b.output()).some((ps) => ps.length > 0 && ps.length < 4), { timeout: 20_000 })
      .toBe(true);
    // (a graceful stop: finishes its batch, leaves the group, exits 0)
    expect(await a.stop('SIGTERM')).toBe(0);
    await sleep(1_500);
    const a2 = await world.startProjector({ LOG_LEVEL: 'info' });
    await sleep(2_000);
    await b.stop('SIGKILL');
    await production;
    await world.waitForProjection();

    // then the partitions moved, and the result is exactly the fold of the unique events
    // B may have projected everything before it died: A2 takes its partitions once B's session
    // (10 s) expires, which can be after the projection is complete.
    for (let waited = 0; assignments(a2.output()).at(-1)?.length !== 4 && waited < 30_000; waited += 250) {
      await sleep(250);
    }
    expect(assignments(a.output())[0]).toEqual([0, 1, 2, 3]);
    expect(assignments(a2.output()).at(-1)).toEqual([0, 1, 2, 3]);
    expect(a2.child.exitCode).toBe(null);
    await world.expectProjectionEqualsOracle();
  });
});
