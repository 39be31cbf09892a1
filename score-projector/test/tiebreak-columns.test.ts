import { type AnyEventInput, compareEntries, RANK_ORDER_SQL, type RankOrder, type ScoreOp } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedBoards, oracle } from './oracle.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';
import { seededRandom } from './random-stream.js';

const BOARDS: { board: string; order: RankOrder; score: ScoreOp; tiebreaks: { order: RankOrder; op: ScoreOp }[] }[] = [
  // best lap, then fewest crashes, then most laps driven
  {
    board: 'race',
    order: 'asc',
    score: 'min',
    tiebreaks: [
      { order: 'asc', op: 'min' },
      { order: 'desc', op: 'add' },
    ],
  },
  // high score, then the highest level reached, then the latest bonus set
  {
    board: 'arcade',
    order: 'desc',
    score: 'max',
    tiebreaks: [
      { order: 'desc', op: 'max' },
      { order: 'asc', op: 'set' },
    ],
  },
];

/**
 * Events stamped as the ingest API stamps them (a value per column with the column's op; a column
 * left out adds 0), over few distinct values so that scores and columns tie often, with repeats.
 */
function tiedStream(seed: number, count: number): AnyEventInput[] {
  const rnd = seededRandom(seed);
  const small = () => Math.floor(rnd() * 4);
  const events: AnyEventInput[] = [];
  for (let i = 0; i < count; i++) {
    const earlier = events[Math.floor(rnd() * events.length)];
    if (earlier && rnd() < 0.1) {
      events.push(earlier);
      continue;
    }
    const b = BOARDS[Math.floor(rnd() * BOARDS.length)]!;
    events.push({
      kind: 'score',
      event: {
        eventId: `tie-${seed}-${i}`,
        userId: `player-${Math.floor(rnd() * 10)}`,
        board: b.board,
        op: rnd() < 0.8 ? b.score : 'set',
        value: 30 + small(),
        occurredAt: Date.UTC(2026, 11, 6, 12) + i * 1_000,
        periods: ['daily'],
        tiebreaks: b.tiebreaks.map((c, col) =>
          col === 1 && rnd() < 0.3 ? { value: 0, op: 'add' } : { value: small() - 1, op: c.op },
        ),
      },
    });
  }
  return events;
}

describe('tie-break columns', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('tiebreaks', 2, { boards: BOARDS });
  });
  afterAll(async () => world?.close());

  it('ranks ties by every column with its op and order, once, after a crash, duplicates and a replay', async () => {
    // given a racing and an arcade board with two columns each, the projector SIGKILLed halfway and
    // the second half delivered twice; then PostgreSQL's totals and Redis's order equal the oracle's
    // fold and compareEntries' sort, also after a replay from the start
    await world.expectOnceThroughCrashAndReplay(tiedStream(5, 500), async () => {
      // and PostgreSQL's sort key (rank_score, tie_key, reached_at, user_id) orders rows the same way
      const expected = expectedBoards(
        oracle(world.produced).totals,
        new Map(BOARDS.map((b) => [b.board, b.order])),
        compareEntries,
        new Map(BOARDS.map((b) => [b.board, b.tiebreaks.map((c) => c.order)])),
      );
      for (const { board } of BOARDS) {
        const { rows } = await world.db.query<{ user_id: string }>(
          `SELECT user_id FROM totals WHERE board = $1 AND period_key = 'all' ORDER BY ${RANK_ORDER_SQL}`,
          [board],
        );
        expect(rows.map((r) => r.user_id)).toEqual(expected.get(`${board}:all`)?.map((u) => u.userId));
      }
    });
  });
});
