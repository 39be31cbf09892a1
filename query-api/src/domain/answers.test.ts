import { describe, expect, it } from 'vitest';
import { shapeAround, shapeBoards, shapeRanks, shapeTop, shapeUser, shapeUserBoards } from './answers.js';
import { decodeCursor } from './cursor.js';
import type { BoardDef, RankedRow } from './read-model.js';

const def: BoardDef = {
  board: 'g',
  order: 'desc',
  tiebreaks: [],
  periods: ['weekly', 'daily'],
  timeZone: 'UTC',
  weekStartsOn: 'monday',
};
const scope = { board: 'g', period: 'all' as const, periodKey: 'all', calendar: null };
const row = (rank: number, userId: string, score: number): RankedRow => ({
  rank,
  userId,
  score,
  reachedAt: 1_000 + rank,
  username: null,
  imageUrl: null,
});

describe('answer shapes', () => {
  it('orders keys and entries the same way whatever order the reader gave', () => {
    const a = shapeTop(scope, { def, total: 3, entries: [row(2, 'b', 5), row(1, 'a', 9)] });
    const b = shapeTop(scope, { def, total: 3, entries: [row(1, 'a', 9), row(2, 'b', 5)] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.keys(a)).toEqual(['board', 'period', 'periodKey', 'total', 'entries', 'nextCursor']);
    expect(Object.keys(a.entries[0]!)).toEqual(['rank', 'userId', 'username', 'imageUrl', 'score']);
  });

  it('gives a cursor after the last entry while more follow, and null at the end', () => {
    const more = shapeTop(scope, { def, total: 3, entries: [row(1, 'a', 9), row(2, 'b', 5)] });
    expect(decodeCursor(more.nextCursor!)).toEqual({
      periodKey: 'all',
      after: { rankScore: -5, reachedAt: 1_002, userId: 'b' },
    });
    expect(shapeTop(scope, { def, total: 2, entries: [row(1, 'a', 9), row(2, 'b', 5)] }).nextCursor).toBeNull();
    expect(shapeTop(scope, { def, total: 2, entries: [] }).nextCursor).toBeNull();
    const asc = shapeTop(scope, { def: { ...def, order: 'asc' }, total: 9, entries: [row(1, 'a', 7)] });
    expect(decodeCursor(asc.nextCursor!)?.after.rankScore).toBe(7);
  });

  it('computes the percentile from rank and total, and is undefined for an unranked user', () => {
    expect(shapeUser(scope, { def, total: 3, entry: row(1, 'a', 9) })?.percentile).toBe(100);
    expect(shapeUser(scope, { def, total: 3, entry: row(3, 'c', 1) })?.percentile).toBe(33.33);
    expect(shapeUser(scope, { def, total: 3, entry: null })).toBeUndefined();
    expect(shapeAround(scope, { def, total: 3, found: false, entries: [] })).toBeUndefined();
  });

  it('lists unknown ids in request order', () => {
    const r = shapeRanks(scope, { def, total: 5, entries: [row(4, 'd', 1), row(2, 'b', 5)] }, ['x', 'd', 'b', 'y']);
    expect(r.entries.map((e) => e.userId)).toEqual(['b', 'd']);
    expect(r.unknownUserIds).toEqual(['x', 'y']);
  });

  it('sorts boards by name and periods canonically', () => {
    expect(
      shapeBoards([
        { ...def, board: 'z', players: 1, regions: [] },
        {
          ...def,
          board: 'a',
          periods: ['monthly', 'daily'],
          timeZone: 'Asia/Tokyo',
          weekStartsOn: 'sunday',
          players: 2,
          regions: [
            { region: 'US', players: 1 },
            { region: 'EU', players: 1 },
          ],
        },
      ]),
    ).toEqual({
      boards: [
        {
          board: 'a',
          order: 'desc',
          tiebreaks: [],
          periods: ['daily', 'monthly'],
          timeZone: 'Asia/Tokyo',
          weekStartsOn: 'sunday',
          players: 2,
          regions: [
            { region: 'EU', players: 1 },
            { region: 'US', players: 1 },
          ],
        },
        {
          board: 'z',
          order: 'desc',
          tiebreaks: [],
          periods: ['daily', 'weekly'],
          timeZone: 'UTC',
          weekStartsOn: 'monday',
          players: 1,
          regions: [],
        },
      ],
    });
  });

  it("sorts a user's standings by board then period, and is undefined with neither profile nor score", () => {
    const s = (board: string, periodKey: string) => ({ board, periodKey, rank: 1, score: 1, total: 1 });
    const u = shapeUserBoards('u', {
      profile: null,
      boards: [s('b', 'weekly:2026-W48'), s('b', 'all'), s('a', 'daily:2026-11-23')],
    });
    expect(u?.boards.map((b) => [b.board, b.period])).toEqual([
      ['a', 'daily'],
      ['b', 'all'],
      ['b', 'weekly'],
    ]);
    expect(shapeUserBoards('u', { profile: null, boards: [] })).toBeUndefined();
  });
});
