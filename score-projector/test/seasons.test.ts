import type { AnyEventInput, ScoreOp } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header, readDeadLetters } from './dead-letter-reader.js';
import { oracle } from './oracle.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { seededRandom } from './random-stream.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 3, 1); // Wednesday 2026-04-01, 00:00Z
const RESET_AT = T0 + 15 * HOUR;

function boardEvent(eventId: string, action: 'season' | 'reset', at: number, season?: [string, number, number]) {
  const [seasonId = null, startsAt = null, endsAt = null] = season ?? [];
  return {
    kind: 'board' as const,
    event: { eventId, action, board: 'arena', seasonId, startsAt, endsAt, actor: 'test', occurredAt: at },
  };
}

/**
 * Score events on a board with seasons ('arena') and one without ('plain'), from two hours before
 * the first season to well into the third, with repeats of earlier eventIds. In the log among them:
 * season s1 [T0, T0+10h); a season overlapping it (ignored); s2 [T0+10h, T0+20h); then a reset at
 * T0+15h that ends s2 and the day's instance there and starts s3 [T0+15h, T0+40h). Events that
 * occurred before the reset but come after it in the log still count toward what it ended.
 */
function seasonStream(seed: number, count: number): AnyEventInput[] {
  const rnd = seededRandom(seed);
  const ops: ScoreOp[] = ['add', 'add', 'set', 'max', 'min'];
  const events: AnyEventInput[] = [boardEvent(`s1-${seed}`, 'season', T0 - 3 * HOUR, ['s1', T0, T0 + 10 * HOUR])];
  for (let i = 0; i < count; i++) {
    if (i === Math.floor(count / 4)) {
      events.push(boardEvent(`bad-${seed}`, 'season', T0, ['overlapping', T0 + 5 * HOUR, T0 + 12 * HOUR]));
    }
    if (i === Math.floor(count / 3)) {
      events.push(boardEvent(`s2-${seed}`, 'season', T0, ['s2', T0 + 10 * HOUR, T0 + 20 * HOUR]));
    }
    if (i === Math.floor((2 * count) / 3)) {
      events.push(boardEvent(`reset-${seed}`, 'reset', RESET_AT, ['s3', RESET_AT, T0 + 40 * HOUR]));
    }
    const earlier = events[Math.floor(rnd() * events.length)];
    if (earlier?.kind === 'score' && rnd() < 0.1) {
      events.push(earlier);
      continue;
    }
    events.push({
      kind: 'score',
      event: {
        eventId: `season-${seed}-${i}`,
        userId: `player-${Math.floor(rnd() * 12)}`,
        board: rnd() < 0.8 ? 'arena' : 'plain',
        op: ops[Math.floor(rnd() * ops.length)],
        value: Math.floor(rnd() * 200) - 50,
        occurredAt: T0 - 2 * HOUR + Math.floor(rnd() * 40 * HOUR),
        periods: ['daily'],
      },
    });
  }
  return events;
}

describe('seasons and resets, folded per partition', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('seasons', 2);
  });
  afterAll(async () => world?.close());

  it('counts each event toward its season and its instance around a reset, refuses those in no season, once, after a crash and a replay', async () => {
    // given the stream above, the projector SIGKILLed halfway and the second half delivered twice,
    // then replayed from the start: PostgreSQL and Redis equal the oracle, which folds each
    // partition's board events itself
    const stream = seasonStream(5, 600);
    await world.expectOnceThroughCrashAndReplay(stream, async () => {
      const keys = await world.db.query<{ k: string }>(
        "SELECT DISTINCT period_key AS k FROM totals WHERE board = 'arena' ORDER BY 1",
      );
      // nothing before the first season counts; the day holding the reset has two instances; the
      // overlapping season never took an event
      expect(keys.rows.map((r) => r.k)).toEqual([
        'all',
        'daily:2026-04-01',
        `daily:2026-04-01~${RESET_AT}`,
        'daily:2026-04-02',
        'season:s1',
        'season:s2',
        'season:s3',
      ]);
      const plain = await world.db.query<{ k: string }>(
        "SELECT DISTINCT period_key AS k FROM totals WHERE board = 'plain' ORDER BY 1",
      );
      expect(plain.rows.map((r) => r.k)).toEqual(['all', 'daily:2026-03-31', 'daily:2026-04-01', 'daily:2026-04-02']);
      // each event in no season is dead-lettered with that reason, at its place in the log (a crash
      // may send a letter again, never lose one)
      const expected = oracle(world.produced).noSeason;
      expect(expected.length).toBeGreaterThan(10);
      const letters = await readDeadLetters(world, expected.length);
      const refused = new Set(
        letters
          .filter((m) => header(m.headers, 'reason') === 'no_season')
          .map((m) => `${header(m.headers, 'original-partition')}/${header(m.headers, 'original-offset')}`),
      );
      expect([...refused].sort()).toEqual(expected.map((p) => `${p.partition}/${p.offset}`).sort());
      expect(letters.every((m) => header(m.headers, 'reason') === 'no_season')).toBe(true);
    });
  });
});
