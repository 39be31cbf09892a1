/**
 * Rank buckets: the order-statistic aid that keeps "rank from PostgreSQL" fast at millions of
 * players. Every rank_score falls in one bucket, a contiguous range of rank scores named by its
 * smallest value (its start). The projector keeps the number of players per bucket
 * (`rank_bucket_counts`) and per group of GROUP_BUCKETS buckets (`rank_group_counts`); a rank is
 * then the players of the groups and buckets before the user's bucket (a few hundred small rows) plus
 * the rows ahead of the user inside their own bucket (an index range scan over one bucket), instead
 * of walking every row ahead.
 *
 * Buckets are log-linear, like an HDR histogram: magnitudes below 2^BUCKET_BITS get a bucket each;
 * above, each power of two is cut into 2^(BUCKET_BITS−1) equal buckets, so a bucket spans under
 * 1/512 of its magnitude. That adapts to any score scale without configuration; only many players
 * on one exact score (ties) make one bucket large, and those still count by (reachedAt, userId) in
 * the index.
 *
 * The same function exists in SQL (`rank_bucket_start(bigint)`, in the migrations) for
 * back-fills and the query API; a test keeps the two equal. A layout change recounts
 * the counts under new table names (see the migration to BUCKET_BITS 10), so that a projector of the
 * old layout cannot write into them.
 */
export const BUCKET_BITS = 10;
const EXACT_BELOW = 2 ** BUCKET_BITS;

/** Bits needed for a positive safe integer, exactly (no floating-point log near powers of two). */
function bitLength(a: number): number {
  let bits = Math.floor(Math.log2(a)) + 1;
  while (2 ** (bits - 1) > a) bits--;
  while (2 ** bits <= a) bits++;
  return bits;
}

/**
 * The lowest and highest magnitude of the range holding magnitude `a` (a ≥ 0), for ranges `scale`
 * buckets wide: 1 for a bucket, GROUP_BUCKETS for a group.
 */
function magnitudeRange(a: number, scale: number): [number, number] {
  const width = scale * (a < EXACT_BELOW ? 1 : 2 ** (bitLength(a) - BUCKET_BITS));
  const low = Math.floor(a / width) * width;
  return [low, low + width - 1];
}

/** The smallest rank score of the range, `scale` buckets wide, holding `rankScore`; negatives mirror positives. */
function rangeStart(rankScore: number, scale: number): number {
  if (rankScore >= 0) return magnitudeRange(rankScore, scale)[0];
  return -magnitudeRange(-rankScore, scale)[1];
}

/**
 * The start (smallest rank score) of the bucket holding `rankScore`. Monotone: a ≤ b implies
 * start(a) ≤ start(b), and start(start(x)) = start(x). Negative rank scores mirror positive ones.
 */
export function rankBucketStart(rankScore: number): number {
  return rangeStart(rankScore, 1);
}

/** Buckets per group: a rank from PostgreSQL sums whole groups before the user's, then buckets. */
export const GROUP_BUCKETS = 32;

/**
 * The start of the group of buckets holding `rankScore`: rankBucketStart() with GROUP_BUCKETS times
 * the width, so that every bucket lies inside one group. SQL's `rank_group_start(bigint)` is the
 * same function; the projector names each bucket delta's group with this one, sparing the batch
 * statement the work.
 */
export function rankGroupStart(rankScore: number): number {
  return rangeStart(rankScore, GROUP_BUCKETS);
}
