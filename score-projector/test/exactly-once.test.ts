import type { ServiceProcess } from '@rankstream/tools/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream, seededRandom } from './random-stream.js';

const SEED = Number(process.env.TEST_SEED ?? 20261123);

describe('exactly once, whatever crashes', () => {
  let world: ProjectorWorld;
  beforeEach(async () => {
    world = await createProjectorWorld('proj_once');
  });
  afterEach(async () => world?.close());

  it('counts every event once while the projector is SIGKILLed at random points and restarted', async () => {
    // given a stream with duplicate eventIds produced while the projector runs
    const rnd = seededRandom(SEED);
    const stream = randomStream(SEED, 6_000, 60);
    let producing = true;
    const production = (async () => {
      for (let i = 0; i < stream.length; i += 100) {
        await world.produce(stream.slice(i, i + 100));
        await sleep(150);
      }
      producing = false;
    })();

    // when it is killed without warning several times, at random moments
    let projector: ServiceProcess = await world.startProjector();
    let kills = 0;
    let redelivered = 0;
    while (producing || kills < 4) {
      await sleep(200 + rnd() * 1_500);
      redelivered += await counterValue(projector.url, 'rankstream_projector_events_skipped_total', 'redelivered');
      await projector.stop('SIGKILL');
      kills++;
      projector = await world.startProjector();
      if (kills >= 10) break;
    }
    await production;
    await world.waitForProjection();

    // then PostgreSQL and Redis hold exactly the fold of the unique events
    await world.expectProjectionEqualsOracle();
    console.info(`seed ${SEED}: ${kills} kills, ${redelivered} redelivered messages skipped by the checkpoint`);
  });

  it('applies nothing twice when every event is delivered again (checkpoint and Kafka offsets rewound)', async () => {
    // given a projected stream
    const projector = await world.startProjector();
    await world.produce(randomStream(SEED + 1, 1_500, 30));
    await world.waitForProjection();
    await world.expectProjectionEqualsOracle();
    await projector.stop('SIGKILL');

    // when the checkpoints and the group's Kafka offsets go back to the start of the log
    await world.db.query('UPDATE projector_offsets SET next_offset = 0');
    // (possible once the broker has noticed the killed member is gone: one session timeout)
    for (let tries = 0; ; tries++) {
      try {
        await world.admin.resetOffsets({ groupId: world.groupId, topic: world.env.eventsTopic, earliest: true });
        break;
      } catch (error) {
        if (tries > 40) throw error;
        await sleep(500);
      }
    }
    const again = await world.startProjector();
    await world.waitForProjection();

    // then every event came through the batch path again and was recognised by its eventId
    expect(await counterValue(again.url, 'rankstream_projector_events_applied_total')).toBe(0);
    expect(await counterValue(again.url, 'rankstream_projector_events_skipped_total', 'duplicate')).toBeGreaterThan(0);
    await world.expectProjectionEqualsOracle();
  });
});
