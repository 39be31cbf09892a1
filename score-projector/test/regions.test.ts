import type { AnyEventInput, ScoreOp } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { seededRandom } from './random-stream.js';

const T0 = Date.UTC(2026, 3, 1);
const HOUR = 3_600_000;
const PROFILE_REGIONS = ['EU', 'asia', ' us ', 'North America', null];
const EVENT_REGIONS = ['EU', 'ASIA', 'LATAM'];

/**
 * Players whose region comes and goes: profiles naming a region (some not a region code, some
 * none), score events on two boards that sometimes name one, removals of one day's entry and an
 * erasure, with repeats of earlier eventIds.
 */
function regionStream(seed: number, count: number): AnyEventInput[] {
  const rnd = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)] as T;
  const ops: ScoreOp[] = ['add', 'add', 'set', 'max'];
  const events: AnyEventInput[] = [];
  for (let i = 0; i < count; i++) {
    const n = Math.floor(rnd() * 10);
    // e-mail-like ids hold an @, as regional instance keys do
    const userId = n % 2 === 1 ? `player-${n}` : `p${n}@mail.example`;
    const earlier = events[Math.floor(rnd() * events.length)];
    const roll = rnd();
    if (earlier && roll < 0.08) {
      events.push(earlier);
    } else if (roll < 0.2) {
      events.push({
        kind: 'profile',
        event: { eventId: `p-${seed}-${i}`, userId, username: userId, region: pick(PROFILE_REGIONS), occurredAt: T0 },
      });
    } else if (roll < 0.22) {
      const periodKey = rnd() < 0.5 ? null : 'daily:2026-04-01';
      events.push({
        kind: 'admin',
        event: {
          eventId: `a-${seed}-${i}`,
          action: 'remove_entry',
          userId,
          board: 'arena',
          periodKey,
          actor: 'test',
          occurredAt: T0,
        },
      });
    } else {
      events.push({
        kind: 'score',
        event: {
          eventId: `s-${seed}-${i}`,
          userId,
          board: rnd() < 0.7 ? 'arena' : 'duel',
          op: pick(ops),
          value: Math.floor(rnd() * 100),
          occurredAt: T0 + Math.floor(rnd() * 30 * HOUR),
          periods: ['daily'],
          region: rnd() < 0.15 ? pick(EVENT_REGIONS) : null,
        },
      });
    }
  }
  events.push({
    kind: 'admin',
    event: { eventId: `erase-${seed}`, action: 'erase', userId: 'player-3', actor: 'test', occurredAt: T0 },
  });
  return events;
}

describe('regional views, projected like periods', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('regions', 2);
  });
  afterAll(async () => world?.close());

  it('lists each player under their region, moves them when it changes, once, after a crash and a replay', async () => {
    // given players moving between regions by profile and by event, the projector SIGKILLed halfway
    // and the second half delivered twice, then replayed: PostgreSQL and Redis equal the oracle,
    // whose regional entries are the global ones under each player's latest region
    await world.expectOnceThroughCrashAndReplay(regionStream(7, 500), async () => {
      const regional = await world.db.query<{ k: string }>(
        "SELECT DISTINCT period_key AS k FROM totals WHERE period_key LIKE '%@%' ORDER BY 1",
      );
      // every regional instance is a region code's; free text and no region rank nowhere
      const regions = new Set(regional.rows.map((r) => r.k.split('@')[1]));
      expect([...regions].every((r) => ['EU', 'ASIA', 'US', 'LATAM'].includes(r ?? ''))).toBe(true);
      expect(regions.size).toBeGreaterThan(1);
      // a player is in one region's views at most
      const spread = await world.db.query<{ user_id: string; n: number }>(
        `SELECT user_id, count(DISTINCT split_part(period_key, '@', 2))::int AS n FROM totals
         WHERE period_key LIKE '%@%' GROUP BY user_id HAVING count(DISTINCT split_part(period_key, '@', 2)) > 1`,
      );
      expect(spread.rows).toEqual([]);
      const erased = await world.db.query("SELECT 1 FROM totals WHERE user_id = 'player-3'");
      expect(erased.rowCount).toBe(0);
    });
  });
});
