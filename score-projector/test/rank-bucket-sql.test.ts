import { rankBucketStart, rankGroupStart } from '@rankstream/schemas';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The projector buckets in TypeScript, the query API and back-fills in SQL: they must agree.
describe('rank_bucket_start(), rank_bucket_end(), rank_group_start() and rank_group_end() in PostgreSQL', () => {
  let env: TestEnv;
  let db: pg.Pool;
  beforeAll(async () => {
    env = await createTestEnv({ name: 'rank_bucket_sql', partitions: 1 });
    db = new pg.Pool({ connectionString: env.databaseUrl, max: 1 });
  });
  afterAll(async () => {
    await db?.end();
    await env?.cleanup();
  });

  it('equals rankBucketStart() for edge and random rank scores', async () => {
    const MAX = Number.MAX_SAFE_INTEGER;
    const values = rankScores(
      [0, 1, -1, 1023, -1023, 1024, -1024, 1025, -1025, 2047, 2048, -2048, MAX, -MAX],
      MAX,
      3000,
      7,
    );
    const { rows } = await db.query<{ start: string }>(
      'SELECT rank_bucket_start(x)::text AS start FROM unnest($1::bigint[]) WITH ORDINALITY AS v(x, i) ORDER BY i',
      [values.map(String)],
    );
    expect(rows.map((r) => Number(r.start))).toEqual(values.map(rankBucketStart));
  });

  it('is inlined by the planner, and gives NULL for NULL', async () => {
    // A call instead of an inlined expression cost ~8 µs, against ~1 µs: a STRICT flag or a FROM in
    // a body would bring the call back.
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(
      'EXPLAIN VERBOSE SELECT rank_bucket_start(x), rank_bucket_end(x), rank_group_start(x), rank_group_end(x) FROM unnest($1::bigint[]) x',
      [[1, 300]],
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('POSITION');
    expect(plan).not.toMatch(/rank_(bucket|group)_(start|end|width)\(/);
    const nulls = await db.query(
      'SELECT rank_bucket_start(NULL) AS s, rank_bucket_end(NULL) AS e, rank_group_start(NULL) AS g, rank_group_end(NULL) AS ge',
    );
    expect(nulls.rows[0]).toEqual({ s: null, e: null, g: null, ge: null });
  });

  it('ends each bucket right before the next one starts', async () => {
    // One below the largest, so that every end is still a safe integer.
    const MAX = Number.MAX_SAFE_INTEGER - 1;
    const edges = [
      0,
      1,
      -1,
      1023,
      -1023,
      1024,
      -1024,
      1025,
      -1025,
      1300,
      -1300,
      1301,
      -1301,
      2047,
      2048,
      -2048,
      MAX,
      -MAX,
    ];
    const values = rankScores(edges, MAX, 2000, 11);
    const { rows } = await db.query<{ end: string }>(
      'SELECT rank_bucket_end(x)::text AS end FROM unnest($1::bigint[]) WITH ORDINALITY AS v(x, i) ORDER BY i',
      [values.map(String)],
    );
    values.forEach((x, i) => {
      const end = Number(rows[i]!.end);
      // The end is past x, starts a bucket of its own, and the value before it is in x's bucket.
      expect(end).toBeGreaterThan(x);
      expect(rankBucketStart(end)).toBe(end);
      expect(rankBucketStart(end - 1)).toBe(rankBucketStart(x));
    });
  });

  it('puts every bucket inside one group of 32 buckets, in the same order', async () => {
    const MAX = Number.MAX_SAFE_INTEGER;
    const edges = [0, 31, 32, -31, -32, -33, 1023, 1024, -1024, 1087, 1088, -1087, -1088, MAX, -MAX];
    const random = fc.sample(fc.integer({ min: -MAX, max: MAX }), { numRuns: 2000, seed: 9 });
    const small = fc.sample(fc.integer({ min: -100_000, max: 100_000 }), { numRuns: 2000, seed: 10 });
    const values = [...edges, ...random, ...small].sort((a, b) => a - b);
    const { rows } = await db.query<{ bucket: string; group: string; group_end: string; group_of_bucket: string }>(
      `SELECT rank_bucket_start(x)::text AS bucket, rank_group_start(x)::text AS group,
         rank_group_end(x)::text AS group_end, rank_group_start(rank_bucket_start(x))::text AS group_of_bucket
       FROM unnest($1::bigint[]) WITH ORDINALITY AS v(x, i) ORDER BY i`,
      [values.map(String)],
    );
    const buckets = rows.map((r) => Number(r.bucket));
    const groups = rows.map((r) => Number(r.group));
    // The projector names groups in TypeScript: the same function.
    expect(values.map(rankGroupStart)).toEqual(groups);
    // Each group is where its buckets are, starts at or before each of them, and groups keep the order.
    expect(rows.map((r) => Number(r.group_of_bucket))).toEqual(groups);
    for (let i = 0; i < values.length; i++) {
      expect(groups[i]).toBeLessThanOrEqual(buckets[i]!);
      // The group ends where the next group starts, past the value.
      const end = Number(rows[i]!.group_end);
      expect(end).toBeGreaterThan(values[i]!);
      if (Number.isSafeInteger(end)) expect(rankGroupStart(end)).toBe(end);
      expect(rankGroupStart(end - 1)).toBe(groups[i]);
      if (i > 0) expect(groups[i]).toBeGreaterThanOrEqual(groups[i - 1]!);
    }
    // A group holds 32 buckets: the distinct bucket starts of the small values, per group, are at most 32.
    const perGroup = new Map<number, Set<number>>();
    for (let i = 0; i < values.length; i++) {
      const set = perGroup.get(groups[i]!) ?? new Set<number>();
      set.add(buckets[i]!);
      perGroup.set(groups[i]!, set);
    }
    expect(Math.max(...[...perGroup.values()].map((s) => s.size))).toBeLessThanOrEqual(32);
    // 0..4095: 1024 exact buckets, then 512 per power of two; groups of 32 of them.
    const counted = await db.query<{ buckets: number; groups: number }>(
      `SELECT count(DISTINCT rank_bucket_start(x)) AS buckets, count(DISTINCT rank_group_start(x)) AS groups
       FROM generate_series(-4095, 4095) x`,
    );
    expect(counted.rows[0]).toEqual({ buckets: 2 * 2048 - 1, groups: 2 * 64 });
  });
});

/**
 * The given edges, both sides of every power of two from 2^8 (buckets widen from 2^10), and `runs` random
 * scores up to ±max and as many small ones (seeds `seed` and `seed + 1`).
 */
function rankScores(edges: number[], max: number, runs: number, seed: number): number[] {
  const values = [...edges];
  for (let e = 8; e < 53; e++) values.push(2 ** e, 2 ** e - 1, 2 ** e + 1, -(2 ** e), -(2 ** e - 1), -(2 ** e + 1));
  values.push(...fc.sample(fc.integer({ min: -max, max }), { numRuns: runs, seed }));
  values.push(...fc.sample(fc.integer({ min: -100_000, max: 100_000 }), { numRuns: runs, seed: seed + 1 }));
  return values;
}
