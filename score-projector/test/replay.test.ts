import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { randomStream } from './random-stream.js';

describe('npm run replay', () => {
  let world: ProjectorWorld;
  const replay = (...args: string[]) => world.replay(...args);
  beforeAll(async () => {
    world = await createProjectorWorld('proj_replay');
  });
  afterAll(async () => world?.close());

  it('--from-start empties the projections and the projector rebuilds them from the log, equal to the oracle', async () => {
    // given a projected stream, and the projector stopped
    const first = await world.startProjector();
    await world.produce(randomStream(31, 1_000, 30));
    await world.waitForProjection();
    await first.stop('SIGTERM');

    // when the projections are replayed from the start of the log
    const { stdout } = await replay('--from-start');
    expect(stdout).toContain('rewound');
    expect((await world.db.query('SELECT count(*)::int AS n FROM totals')).rows[0].n).toBe(0);
    const again = await world.startProjector();
    await world.waitForProjection();

    // then every unique event was applied again, once, and both stores equal the oracle
    const unique = new Set(world.produced.map((p) => p.input.event.eventId)).size;
    expect(await counterValue(again.url, 'rankstream_projector_events_applied_total')).toBe(unique);
    await world.expectProjectionEqualsOracle();
  });

  it('--from-start refuses while projectors run in the group', async () => {
    await expect(replay('--from-start')).rejects.toThrow(/running member/);
  });

  it('--redis-only makes the running projector rebuild Redis from PostgreSQL', async () => {
    const { stdout } = await replay('--redis-only', '--wait');
    expect(stdout).toContain('projection complete');
    await world.expectProjectionEqualsOracle();
  });
});
