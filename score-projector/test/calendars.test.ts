import type { AnyEventInput, PeriodCalendar, ScoreOp } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { seededRandom } from './random-stream.js';

const NEW_YORK: PeriodCalendar = { timeZone: 'America/New_York', weekStartsOn: 'sunday' };
const KATHMANDU: PeriodCalendar = { timeZone: 'Asia/Kathmandu', weekStartsOn: 'wednesday' };
// New York springs forward at 2026-03-08T07:00Z (02:00 EST); Sunday 2026-03-08 also opens a Sunday week.
const DST_CHANGE = Date.UTC(2026, 2, 8, 7);
const HOUR = 3_600_000;

/**
 * Events stamped with calendars as the ingest API stamps them, spread over the night of a
 * daylight-saving change and a local midnight on either side, with repeats of earlier eventIds.
 */
function calendarStream(seed: number, count: number): AnyEventInput[] {
  const rnd = seededRandom(seed);
  const ops: ScoreOp[] = ['add', 'add', 'set', 'max', 'min'];
  const events: AnyEventInput[] = [];
  for (let i = 0; i < count; i++) {
    const earlier = events[Math.floor(rnd() * events.length)];
    if (earlier && rnd() < 0.1) {
      events.push(earlier);
      continue;
    }
    const calendar = [NEW_YORK, KATHMANDU, null][Math.floor(rnd() * 3)] ?? null;
    events.push({
      kind: 'score',
      event: {
        eventId: `cal-${seed}-${i}`,
        userId: `player-${Math.floor(rnd() * 12)}`,
        board: calendar === NEW_YORK ? 'ny' : calendar === KATHMANDU ? 'ktm' : 'global',
        op: ops[Math.floor(rnd() * ops.length)],
        value: Math.floor(rnd() * 200) - 50,
        // from New York's Saturday evening to Monday morning, around the change
        occurredAt: DST_CHANGE - 12 * HOUR + Math.floor(rnd() * 40 * HOUR),
        periods: ['daily', 'weekly', 'monthly'],
        calendar,
      },
    });
  }
  return events;
}

describe("periods cut on a board's calendar", () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('calendars', 2);
  });
  afterAll(async () => world?.close());

  it('counts events toward local days and weeks across a daylight-saving change, once, after a crash and a replay', async () => {
    // given events on a New York board (Sunday weeks), a Kathmandu board (UTC+5:45, Wednesday weeks)
    // and a UTC board, the projector SIGKILLed halfway and the second half delivered twice; then
    // PostgreSQL and Redis hold the oracle's totals, keyed by the local calendar, also after a replay
    await world.expectOnceThroughCrashAndReplay(calendarStream(11, 600), async () => {
      const keys = async (board: string) =>
        (
          await world.db.query<{ k: string }>(
            'SELECT DISTINCT period_key AS k FROM totals WHERE board = $1 ORDER BY 1',
            [board],
          )
        ).rows.map((r) => r.k);
      // New York: Saturday the 7th to Monday the 9th; the Sunday week holding Monday the 9th is W11
      expect(await keys('ny')).toEqual([
        'all',
        'daily:2026-03-07',
        'daily:2026-03-08',
        'daily:2026-03-09',
        'monthly:2026-03',
        'weekly:2026-W10',
        'weekly:2026-W11',
      ]);
      // the event 1 ms before local midnight of the change day, and the one at it, fall on either side
      const edge = [DST_CHANGE - 2 * HOUR - 1, DST_CHANGE - 2 * HOUR].map((occurredAt, i) => ({
        kind: 'score' as const,
        event: {
          eventId: `edge-${i}`,
          userId: `edge-${i}`,
          board: 'ny',
          value: 1,
          occurredAt,
          periods: ['daily' as const],
          calendar: NEW_YORK,
        },
      }));
      await world.produce(edge);
      await world.waitForProjection();
      const edgeKeys = await world.db.query<{ user_id: string; period_key: string }>(
        "SELECT user_id, period_key FROM totals WHERE user_id LIKE 'edge-%' AND period_key <> 'all' ORDER BY 1",
      );
      // 05:00Z is midnight in New York before the change (UTC-5)
      expect(edgeKeys.rows).toEqual([
        { user_id: 'edge-0', period_key: 'daily:2026-03-07' },
        { user_id: 'edge-1', period_key: 'daily:2026-03-08' },
      ]);
    });
  });
});
