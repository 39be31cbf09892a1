import { describe, expect, it } from 'vitest';
import { type FoldedTotal, type StoredTotal, totalKey } from './batch-fold.js';
import { rankBucketDeltas } from './rank-bucket-deltas.js';

const orders = new Map([
  ['kills', 'desc' as const],
  ['speedrun', 'asc' as const],
]);

function row(board: string, userId: string, score: number, periodKey = 'all'): FoldedTotal {
  const rankScore = orders.get(board) === 'asc' || score === 0 ? score : -score;
  const key = totalKey({ board, periodKey, userId });
  return {
    board,
    periodKey,
    userId,
    score,
    rankScore,
    reachedAt: 1,
    eventCount: 1,
    version: 1,
    baseVersion: -1,
    key,
    details: null,
    tieKey: '',
  };
}

function stored(score: number): StoredTotal {
  return { score, reachedAt: 0, eventCount: 1, version: 0 };
}

describe('rankBucketDeltas', () => {
  it('adds a new row to its bucket', () => {
    expect(rankBucketDeltas([row('kills', 'u1', 4000)], new Map(), orders)).toEqual([
      { board: 'kills', periodKey: 'all', bucketStart: -4003, delta: 1 },
    ]);
  });

  it('moves a row whose rank score crossed into another bucket, and ignores one that stayed', () => {
    const before = new Map([
      ['speedrun\u0000all\u0000u1', stored(10)],
      ['speedrun\u0000all\u0000u2', stored(3000)],
    ]);
    const written = [row('speedrun', 'u1', 12), row('speedrun', 'u2', 3001)];
    expect(rankBucketDeltas(written, before, orders)).toEqual([
      { board: 'speedrun', periodKey: 'all', bucketStart: 10, delta: -1 },
      { board: 'speedrun', periodKey: 'all', bucketStart: 12, delta: 1 },
    ]);
  });

  it('sums per bucket, drops zero sums and sorts by board, period key and bucket', () => {
    const before = new Map([['kills\u0000all\u0000u1', stored(5)]]);
    const written = [
      row('speedrun', 'u9', 7, 'daily:2026-11-23'),
      row('kills', 'u1', 6), // leaves -5 for -6
      row('kills', 'u2', 5), // joins -5: the bucket's sum is 0
      row('kills', 'u3', 6),
    ];
    expect(rankBucketDeltas(written, before, orders)).toEqual([
      { board: 'kills', periodKey: 'all', bucketStart: -6, delta: 2 },
      { board: 'speedrun', periodKey: 'daily:2026-11-23', bucketStart: 7, delta: 1 },
    ]);
  });

  it('uses the board order to find the bucket a stored score was in', () => {
    const before = new Map([['kills\u0000all\u0000u1', stored(-3)]]);
    expect(rankBucketDeltas([row('kills', 'u1', 3)], before, orders)).toEqual([
      { board: 'kills', periodKey: 'all', bucketStart: -3, delta: 1 },
      { board: 'kills', periodKey: 'all', bucketStart: 3, delta: -1 },
    ]);
  });
});
