import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { rankBucketStart, rankGroupStart } from '@rankstream/schemas';
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

type CountTable = 'rank_buckets' | 'rank_bucket_groups' | 'rank_bucket_counts' | 'rank_group_counts';

/** Counts per start, summed over partitions, from the given table (or, for the old names, view). */
async function counts(db: pg.Client, table: CountTable): Promise<Map<number, number>> {
  const start = table === 'rank_buckets' || table === 'rank_bucket_counts' ? 'bucket_start' : 'group_start';
  const { rows } = await db.query<{ start: string; players: string }>(
    `SELECT ${start}::text AS start, sum(players)::text AS players FROM ${table}
     WHERE board = 'b' AND period_key = 'all' GROUP BY 1`,
  );
  return new Map(rows.map((r) => [Number(r.start), Number(r.players)]));
}

/** The layout before this one, written out plainly: 256 exact buckets, then 128 per power of two. */
function oldBucketStart(x: number): number {
  const a = Math.abs(x);
  let width = 1;
  if (a >= 256) width = 2 ** (a.toString(2).length - 8);
  const low = Math.floor(a / width) * width;
  return x >= 0 ? low : -(low + width - 1);
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
    expect(await counts(db, 'rank_buckets')).toEqual(tally(scores.map(oldBucketStart)));

    await migrateLast('up');
    expect(await counts(db, 'rank_bucket_counts')).toEqual(tally(scores.map(rankBucketStart)));
    expect(await counts(db, 'rank_group_counts')).toEqual(tally(scores.map(rankGroupStart)));
    const { rows } = await db.query(
      'SELECT DISTINCT partition FROM rank_bucket_counts UNION SELECT DISTINCT partition FROM rank_group_counts',
    );
    expect(rows).toEqual([{ partition: -1 }]);
  });

  it('fails every batch of an old projector, even one without bucket deltas, while old readers still read', async () => {
    // The old projector's statement, as it was: an empty batch of deltas, which a check on the rows
    // written would never see, while its totals could still cross the new, finer buckets.
    const oldWrite = (table: string, start: string) =>
      db.query(
        `INSERT INTO ${table} (board, period_key, ${start}, partition, players)
         SELECT board, period_key, s, 0, players
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS d(board, period_key, s, players)
         ON CONFLICT (board, period_key, ${start}, partition) DO UPDATE SET players = ${table}.players + excluded.players`,
        [[], [], [], []],
      );
    await expect(oldWrite('rank_buckets', 'bucket_start')).rejects.toThrow(/cannot insert into view "rank_buckets"/);
    await expect(oldWrite('rank_bucket_groups', 'group_start')).rejects.toThrow(
      /cannot insert into view "rank_bucket_groups"/,
    );
    // An old query API reads the new counts under the old names.
    expect(await counts(db, 'rank_buckets')).toEqual(tally(scores.map(rankBucketStart)));
    expect(await counts(db, 'rank_bucket_groups')).toEqual(tally(scores.map(rankGroupStart)));
  });
});
