import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BUCKET_BITS, rankBucketStart, rankGroupStart } from '@rankstream/schemas';
import { createLogger, migrate } from '@rankstream/schemas/runtime';
import fc from 'fast-check';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseServiceUrls } from '../src/testing/index.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../schemas/migrations', import.meta.url));
const name = `rs_test_layout_${randomBytes(4).toString('hex')}`;
const admin = new URL(baseServiceUrls().postgresBaseUrl);
const target = new URL(admin);
target.pathname = `/${name}`;

/** The latest migration, down or up. */
async function migrateLast(direction: 'up' | 'down'): Promise<void> {
  await runner({
    databaseUrl: target.toString(),
    dir: MIGRATIONS_DIR,
    direction,
    migrationsTable: 'pgmigrations',
    count: 1,
    log: () => {},
  });
}

/** Counts per start, summed over partitions, from the given table. */
async function counts(db: pg.Client, table: 'rank_buckets' | 'rank_bucket_groups'): Promise<Map<number, number>> {
  const start = table === 'rank_buckets' ? 'bucket_start' : 'group_start';
  const { rows } = await db.query<{ start: string; players: string }>(
    `SELECT ${start}::text AS start, sum(players)::text AS players FROM ${table}
     WHERE board = 'b' AND period_key = 'all' GROUP BY 1`,
  );
  return new Map(rows.map((r) => [Number(r.start), Number(r.players)]));
}

function tally(values: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

describe('the finer rank bucket layout', () => {
  let db: pg.Client;
  // Scores over every scale the layouts treat differently: exact, narrow and wide buckets, both signs.
  const scores = [
    ...fc.sample(fc.integer({ min: -5_000, max: 5_000 }), { numRuns: 1500, seed: 3 }),
    ...fc.sample(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { numRuns: 1500, seed: 4 }),
  ];

  beforeAll(async () => {
    await migrate(target.toString(), createLogger('test', 'silent'));
    db = new pg.Client({ connectionString: target.toString() });
    await db.connect();
    await db.query(
      `INSERT INTO totals (board, period_key, user_id, score, rank_score, reached_at, event_count, version)
       SELECT 'b', 'all', 'u' || i, s, s, 0, 1, 1 FROM unnest($1::bigint[]) WITH ORDINALITY AS v(s, i)`,
      [scores],
    );
  });
  afterAll(async () => {
    await db?.end();
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.end();
  });

  it('recounts the rank aids from totals, both ways, when the layout changes', async () => {
    await migrateLast('down');
    // The old layout: 4× wider buckets, so fewer of them for the same totals.
    const old = await counts(db, 'rank_buckets');
    expect([...old.values()].reduce((a, b) => a + b, 0)).toBe(scores.length);
    expect(old.size).toBeLessThan(tally(scores.map(rankBucketStart)).size);

    await migrateLast('up');
    expect(await counts(db, 'rank_buckets')).toEqual(tally(scores.map(rankBucketStart)));
    expect(await counts(db, 'rank_bucket_groups')).toEqual(tally(scores.map(rankGroupStart)));
    const { rows } = await db.query(
      `SELECT DISTINCT partition, bucket_bits FROM rank_buckets
       UNION SELECT DISTINCT partition, bucket_bits FROM rank_bucket_groups`,
    );
    expect(rows).toEqual([{ partition: -1, bucket_bits: BUCKET_BITS }]);
  });

  it("refuses an old projector's bucket deltas, new rows and existing ones, so its batch rolls back", async () => {
    const [bucket] = (await counts(db, 'rank_buckets')).keys();
    const upsert = (start: number, layout: string) =>
      db.query(
        `INSERT INTO rank_buckets (board, period_key, bucket_start, partition, players${layout ? ', bucket_bits' : ''})
         VALUES ('b', 'all', $1, -1, 1${layout ? `, ${layout}` : ''})
         ON CONFLICT (board, period_key, bucket_start, partition) DO UPDATE SET players = rank_buckets.players + 1`,
        [start],
      );
    await expect(upsert(bucket!, '')).rejects.toMatchObject({ code: '23502', column: 'bucket_bits' });
    await expect(upsert(7_777_777, '')).rejects.toMatchObject({ code: '23502', column: 'bucket_bits' });
    await expect(upsert(7_777_777, '8')).rejects.toMatchObject({ code: '23514' });
    const groups = await db
      .query(`INSERT INTO rank_bucket_groups (board, period_key, group_start, partition, players)
        VALUES ('b', 'all', 0, 0, 1)`)
      .catch((error: { code: string }) => error.code);
    expect(groups).toBe('23502');
    // Nothing refused was counted.
    expect(await counts(db, 'rank_buckets')).toEqual(tally(scores.map(rankBucketStart)));
  });
});
