import { BUCKET_BITS } from '@rankstream/schemas';
import pg from 'pg';

/**
 * Recounts period_counts, rank_buckets and rank_bucket_groups from totals, for states written straight into PostgreSQL
 * (test fixtures, the query bench) rather than by the projector, which keeps both incrementally.
 * Rows are spread over three pseudo partitions, as the projector's would be, so that readers' sums
 * over partitions are exercised.
 */
export async function recountRankAids(pool: pg.Pool | pg.Client): Promise<void> {
  const db = pool instanceof pg.Pool ? await pool.connect() : pool;
  await db.query('BEGIN');
  try {
    await db.query('LOCK TABLE totals IN SHARE MODE');
    await db.query('TRUNCATE period_counts, rank_buckets, rank_bucket_groups');
    await db.query(
      `INSERT INTO period_counts (board, period_key, partition, players)
       SELECT board, period_key, abs(hashtext(user_id)) % 3, count(*) FROM totals GROUP BY 1, 2, 3`,
    );
    await db.query(
      `INSERT INTO rank_buckets (board, period_key, bucket_start, partition, players, bucket_bits)
       SELECT board, period_key, rank_bucket_start(rank_score), abs(hashtext(user_id)) % 3, count(*), ${BUCKET_BITS}
       FROM totals GROUP BY 1, 2, 3, 4`,
    );
    await db.query(
      `INSERT INTO rank_bucket_groups (board, period_key, group_start, partition, players, bucket_bits)
       SELECT board, period_key, rank_group_start(bucket_start), partition, sum(players), ${BUCKET_BITS}
       FROM rank_buckets GROUP BY 1, 2, 3, 4`,
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    if (db !== pool) (db as pg.PoolClient).release();
  }
}
