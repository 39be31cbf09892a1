import type { AnyEventInput, Period, ScoreOp } from '@rankstream/schemas';

/** mulberry32: a tiny seeded generator, so a failing stream can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const TEST_BOARDS = [
  { board: 'global', order: 'desc' as const },
  { board: 'speedrun', order: 'asc' as const },
  { board: 'weekly-race', order: 'desc' as const },
];

const OPS: ScoreOp[] = ['add', 'set', 'max', 'min'];
const PERIOD_SETS: Period[][] = [[], ['daily'], ['weekly', 'monthly'], ['daily', 'weekly', 'monthly']];
// 2026-11-29 (Sunday) minus a few hours: the stream crosses a day, an ISO week and a month boundary.
const START = Date.UTC(2026, 10, 29, 20);

/**
 * A randomized stream over a few users: every op, several boards (desc and asc) and periods, a few
 * profile updates, metadata on a third of the score events, and duplicates — about one event in eight re-sends an earlier event of the same
 * user with the same eventId, sometimes with a different body (only the first in log order counts).
 */
export function randomStream(seed: number, count: number, users = 40): AnyEventInput[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const events: AnyEventInput[] = [];
  const sent: AnyEventInput[] = [];
  for (let i = 0; i < count; i++) {
    if (sent.length > 0 && rnd() < 0.12) {
      const earlier = pick(sent);
      if (earlier.kind === 'score' && rnd() < 0.5) {
        events.push({ kind: 'score', event: { ...earlier.event, value: Math.floor(rnd() * 1000) } });
      } else {
        events.push(earlier);
      }
      continue;
    }
    const userId = `user-${Math.floor(rnd() * users)}`;
    const occurredAt = START + Math.floor(rnd() * 8 * 3_600_000);
    const eventId = `${seed}-${i}`;
    let input: AnyEventInput;
    if (rnd() < 0.05) {
      input = {
        kind: 'profile',
        event: {
          eventId,
          userId,
          username: `name ${i}`,
          imageUrl: rnd() < 0.5 ? null : `https://img.example.com/${i}.png`,
          region: rnd() < 0.5 ? null : pick(['eu', 'us', 'ap']),
          occurredAt,
        },
      };
    } else {
      const { board } = pick(TEST_BOARDS);
      input = {
        kind: 'score',
        event: {
          eventId,
          userId,
          board,
          op: pick(OPS),
          // Small values so that many events collide on equal scores and the tie-breaks matter.
          value: Math.floor(rnd() * 41) - 10,
          occurredAt,
          periods: pick(PERIOD_SETS),
          // A third carry metadata (an entry's details); bars inside it must not confuse Redis's member index.
          metadata: i % 3 === 0 ? JSON.stringify({ run: i, note: 'lap|1' }) : null,
        },
      };
    }
    events.push(input);
    sent.push(input);
  }
  return events;
}
