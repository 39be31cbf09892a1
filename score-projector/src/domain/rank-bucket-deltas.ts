import { compareIds, type RankOrder, rankBucketStart, toRankScore } from '@rankstream/schemas';
import type { FoldedTotal, RemovedTotal, StoredTotal } from './batch-fold.js';

/** A change to the number of players in one rank bucket (see schemas/src/rank-buckets.ts). */
export interface RankBucketDelta {
  board: string;
  periodKey: string;
  bucketStart: number;
  delta: number;
}

/**
 * How a batch's written totals move players between rank buckets: +1 where a row is new, −1/+1 where
 * its rank score crossed into another bucket, −1 where a stored row was removed. `before` must be the rows as stored before the batch
 * (loaded under the partition lock, so exact). Sorted by key, zero sums dropped.
 */
export function rankBucketDeltas(
  written: readonly FoldedTotal[],
  before: ReadonlyMap<string, StoredTotal>,
  orders: ReadonlyMap<string, RankOrder>,
  removed: readonly RemovedTotal[] = [],
): RankBucketDelta[] {
  // By board, period key and bucket: nested maps with a number at the end, so no key string per row.
  const sums = new Map<string, Map<string, Map<number, RankBucketDelta>>>();
  const add = (board: string, periodKey: string, bucketStart: number, delta: number) => {
    let periods = sums.get(board);
    if (periods === undefined) {
      periods = new Map();
      sums.set(board, periods);
    }
    let buckets = periods.get(periodKey);
    if (buckets === undefined) {
      buckets = new Map();
      periods.set(periodKey, buckets);
    }
    const entry = buckets.get(bucketStart);
    if (entry) entry.delta += delta;
    else buckets.set(bucketStart, { board, periodKey, bucketStart, delta });
  };
  const bucketOf = (board: string, stored: StoredTotal) => {
    const order = orders.get(board);
    if (order === undefined) throw new Error(`board ${board} has no known order`);
    return rankBucketStart(toRankScore(order, stored.score));
  };
  for (const row of removed) {
    const previous = before.get(row.key);
    if (previous !== undefined) add(row.board, row.periodKey, bucketOf(row.board, previous), -1);
  }
  for (const row of written) {
    const to = rankBucketStart(row.rankScore);
    const previous = before.get(row.key);
    if (previous === undefined) {
      add(row.board, row.periodKey, to, 1);
      continue;
    }
    const from = bucketOf(row.board, previous);
    if (from === to) continue;
    add(row.board, row.periodKey, from, -1);
    add(row.board, row.periodKey, to, 1);
  }
  const deltas: RankBucketDelta[] = [];
  for (const periods of sums.values()) {
    for (const buckets of periods.values()) for (const d of buckets.values()) if (d.delta !== 0) deltas.push(d);
  }
  return deltas.sort(
    (a, b) => compareIds(a.board, b.board) || compareIds(a.periodKey, b.periodKey) || a.bucketStart - b.bucketStart,
  );
}
