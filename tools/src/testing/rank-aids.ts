import pg from 'pg';

/**
 * Recounts period_counts, rank_bucket_counts and rank_group_counts from totals, for states written straight into PostgreSQL
 * (test fixtures, the query bench) rather than by the projector, which keeps both incrementally.
 * Rows are spread over three pseudo partitions, as the projector's would be, so that readers' sums
 * over partitions are exercised.
 */
export async function recountRankAids(pool: pg.Pool | pg.Client): Promise<void> {
  const db = pool instanceof pg.Pool ? await pool.connect() : pool;
  await db.query('BEGIN');
  try {
    await db.query('LOCK TABLE totals IN SHARE MODE');
    await db.query('TRUNCATE period_counts, rank_bucket_counts, rank_group_counts');
    await db.query(
      `INSERT INTO period_counts (board, period_key, partition, players)
       SELECT board, period_key, abs(hashtext(user_id)) % 3, count(*) FROM totals GROUP BY 1, 2, 3`,
    );
    await db.query(
      `INSERT INTO rank_bucket_counts (board, period_key, bucket_start, partition, players)
       SELECT board, period_key, rank_bucket_start(rank_score), abs(hashtext(user_id)) % 3, count(*)
       FROM totals GROUP BY 1, 2, 3, 4`,
    );
    await db.query(
      `INSERT INTO rank_group_counts (board, period_key, group_start, partition, players)
       SELECT board, period_key, rank_group_start(bucket_start), partition, sum(players)
       FROM rank_bucket_counts GROUP BY 1, 2, 3, 4`,
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    if (db !== pool) (db as pg.PoolClient).release();
  }
}
