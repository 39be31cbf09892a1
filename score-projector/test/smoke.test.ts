import { afterAll, beforeAll, describe, it } from 'vitest';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { randomStream } from './random-stream.js';

describe('score projector on the real stack', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_smoke');
  });
  afterAll(async () => world?.close());

  it('projects a stream with duplicates exactly once into PostgreSQL and Redis', async () => {
    await world.startProjector();
    await world.produce(randomStream(1, 500));
    await world.waitForProjection();
    await world.expectProjectionEqualsOracle();
  });
});
