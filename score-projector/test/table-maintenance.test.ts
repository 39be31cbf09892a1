import { createLogger, createPool } from '@rankstream/schemas/runtime';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tableMaintenance } from '../src/adapters/table-maintenance.js';

/**
 * Given totals just written (no vacuum yet, so the visibility map is unset), when the projector is
 * caught up, then it vacuums once enough was written: the rank count's index-only scan stops reading
 * the heap.
 */
let env: TestEnv;
let pool: ReturnType<typeof createPool>;

beforeAll(async () => {
  env = await createTestEnv({ name: 'proj_maintenance', partitions: 1 });
  pool = createPool(env.databaseUrl, 3, createLogger('test', 'silent'));
  await pool.query('ALTER TABLE totals SET (autovacuum_enabled = false)');
});
afterAll(async () => {
  await pool?.end();
  await env?.cleanup();
});

async function fill(board: string, rows: number): Promise<void> {
  await pool.query(
    `INSERT INTO totals (board, period_key, user_id, score, rank_score, reached_at, event_count, version)
     SELECT $1, 'all', 'u' || i, i % 500, -(i % 500), i, 1, 0 FROM generate_series(1, $2::int) AS i`,
    [board, rows],
  );
}

/** Heap pages an index-only count over one board had to visit. */
async function heapFetches(board: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_seqscan = off');
    await client.query('SET LOCAL enable_bitmapscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, FORMAT TEXT) SELECT count(*) FROM totals
       WHERE board = '${board}' AND period_key = 'all' AND rank_score >= -250`,
    );
    await client.query('COMMIT');
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('Index Only Scan');
    return Number(/Heap Fetches: (\d+)/.exec(plan)?.[1]);
  } finally {
    client.release();
  }
}

it('leaves the tables to autovacuum under live traffic, never a backlog behind', async () => {
  await fill('live', 60_000);
  const maintenance = tableMaintenance(pool);
  for (const behind of [0, 500, 20_000, 0]) {
    maintenance.written(15_000, 0);
    await maintenance.behind(behind);
  }
  expect(await heapFetches('live')).toBeGreaterThan(0);
});

it('vacuums during a backlog once a fifth of the table (at least 50,000 rows) was written', async () => {
  await fill('growing', 60_000);
  const maintenance = tableMaintenance(pool);
  await maintenance.behind(400_000);
  maintenance.written(60_000, 0);
  await maintenance.behind(340_000); // still behind: waits for the vacuum the batch started
  expect(await heapFetches('growing')).toBe(0);
});

it('vacuums when caught up after a backlog, so that rank counts read the index alone', async () => {
  await fill('backlog', 30_000);
  expect(await heapFetches('backlog')).toBeGreaterThan(0);
  const maintenance = tableMaintenance(pool);
  await maintenance.behind(150_000);
  maintenance.written(20_000, 10_000);
  await maintenance.behind(5_000);
  expect(await heapFetches('backlog')).toBeGreaterThan(0);
  await maintenance.behind(200);
  expect(await heapFetches('backlog')).toBe(0);
  // The backlog is over: the next catch-up has nothing to do.
  await fill('later', 20_000);
  maintenance.written(20_000, 0);
  await maintenance.behind(0);
  expect(await heapFetches('later')).toBeGreaterThan(0);
});

it('retries a vacuum that could not take its lock at the next beat', async () => {
  await fill('locked', 20_000);
  const maintenance = tableMaintenance(pool);
  await maintenance.behind(150_000);
  maintenance.written(20_000, 0);
  const holder = await pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE totals IN SHARE UPDATE EXCLUSIVE MODE');
    await maintenance.behind(0); // gives up after its 500 ms lock timeout
    expect(await heapFetches('locked')).toBeGreaterThan(0);
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
  await maintenance.behind(0);
  expect(await heapFetches('locked')).toBe(0);
});
