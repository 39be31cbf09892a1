import type { AnyEventInput, ScoreOp } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { oracle } from './oracle.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { seededRandom } from './random-stream.js';

const T0 = Date.UTC(2026, 11, 6, 12);

/**
 * Events produced straight to Kafka, stamped with a board's limits as the ingest API stamps them,
 * bursting past maxEventsPerMinute and now and then past maxDelta, over a few minutes of log time,
 * a few with timestamps out of order.
 */
function limitedStream(seed: number, count: number): { input: AnyEventInput; timestamp: number }[] {
  const rnd = seededRandom(seed);
  const ops: ScoreOp[] = ['add', 'add', 'set', 'max'];
  return Array.from({ length: count }, (_, i) => {
    // now and then an event whose producer stamped a log time long past, and near the end (after the
    // projector's restart) a burst of six from one player within one past minute: counted by no minute
    const burst = i >= count - 12 && i % 2 === 0;
    const userId = burst ? 'player-late' : `player-${Math.floor(rnd() * 6)}`;
    const limited = burst || rnd() < 0.85;
    const late = !burst && rnd() < 0.05;
    return {
      timestamp: burst
        ? T0 - 20 * 60_000 + 30_000
        : T0 + Math.floor((i / count) * 4 * 60_000) - (late ? 20 * 60_000 : 0),
      input: {
        kind: 'score',
        event: {
          eventId: `lim-${seed}-${i}`,
          userId,
          board: 'global',
          op: burst ? 'add' : ops[Math.floor(rnd() * ops.length)],
          value: burst ? 5 : Math.floor(rnd() * 160) - 40,
          occurredAt: T0 + i,
          limits: limited ? { maxEventsPerMinute: 4, maxDelta: 70 } : null,
        },
      },
    };
  });
}

describe('per-player limits stamped on the events', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('player_limits', 2, { producerTimestamps: true });
  });
  afterAll(async () => world?.close());

  it('dead-letters events past maxEventsPerMinute or maxDelta, the same way after a crash and a replay', async () => {
    // given a burst of limited events, the projector SIGKILLed halfway
    const stream = limitedStream(7, 240);
    let projector = await world.startProjector();
    await world.produceStamped(stream.slice(0, 120));
    await projector.stop('SIGKILL');
    projector = await world.startProjector();
    await world.produceStamped(stream.slice(120));
    await world.waitForProjection();

    // then the totals are the oracle's, and every refused event went to the dead-letter topic with its reason
    await world.expectProjectionEqualsOracle();
    const { refused } = oracle(world.produced);
    expect(refused.rate_limited).toBeGreaterThan(10);
    expect(refused.max_delta).toBeGreaterThan(3);
    // the late burst passed the rate: all six taken, where a rate of four would have taken four
    expect(
      (await world.db.query("SELECT event_count FROM totals WHERE user_id = 'player-late' AND period_key = 'all'"))
        .rows[0]?.event_count,
    ).toBe(6);
    const lettered = async (reason: string) =>
      counterValue(projector.url, 'rankstream_projector_dead_lettered_total', `reason="${reason}"`);
    // the first projector's letters died with it; what the second sent plus the rest is in the topic
    const counts = await world.db.query("SELECT count(*)::int AS n FROM player_minute_counts WHERE board = 'global'");
    expect(counts.rows[0].n).toBeGreaterThan(0);
    expect(await lettered('rate_limited')).toBeGreaterThan(0);

    // when the projections are replayed from the start of the log
    await projector.stop('SIGTERM');
    await world.replay('--from-start');
    projector = await world.startProjector();
    await world.waitForProjection();

    // then it decides the same way: the same totals, and every refusal again
    await world.expectProjectionEqualsOracle();
    expect(await lettered('rate_limited')).toBe(refused.rate_limited);
    expect(await lettered('max_delta')).toBe(refused.max_delta);
    await projector.stop('SIGTERM');
  });
});
