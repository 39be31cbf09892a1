import { compareIds, type RankOrder, rankBucketStart, toRankScore } from '@rankstream/schemas';
import type { FoldedTotal, StoredTotal } from './batch-fold.js';

/** A change to the number of players in one rank bucket (see schemas/src/rank-buckets.ts). */
export interface RankBucketDelta {
  board: string;
  periodKey: string;
  bucketStart: number;
  delta: number;
}

/**
 * How a batch's written totals move players between rank buckets: +1 where a row is new, −1/+1 where
 * its rank score crossed into another bucket. `before` must be the rows as stored before the batch
 * (loaded under the partition lock, so exact). Sorted by key, zero sums dropped.
 */
export function rankBucketDeltas(
  written: readonly FoldedTotal[],
  before: ReadonlyMap<string, StoredTotal>,
  orders: ReadonlyMap<string, RankOrder>,
): RankBucketDelta[] {
  const sums = new Map<string, RankBucketDelta>();
  const add = (board: string, periodKey: string, bucketStart: number, delta: number) => {
    // \u0000 cannot occur in board ids or period keys (see totalKey).
    const key = `${board}\u0000${periodKey}\u0000${bucketStart}`;
    const entry = sums.get(key);
    if (entry) entry.delta += delta;
    else sums.set(key, { board, periodKey, bucketStart, delta });
  };
  for (const row of written) {
    const to = rankBucketStart(row.rankScore);
    const previous = before.get(row.key);
    if (previous === undefined) {
      add(row.board, row.periodKey, to, 1);
      continue;
    }
    const order = orders.get(row.board);
    if (order === undefined) throw new Error(`board ${row.board} has no known order`);
    const from = rankBucketStart(toRankScore(order, previous.score));
    if (from === to) continue;
    add(row.board, row.periodKey, from, -1);
    add(row.board, row.periodKey, to, 1);
  }
  return [...sums.values()]
    .filter((d) => d.delta !== 0)
    .sort(
      (a, b) => compareIds(a.board, b.board) || compareIds(a.periodKey, b.periodKey) || a.bucketStart - b.bucketStart,
    );
}
