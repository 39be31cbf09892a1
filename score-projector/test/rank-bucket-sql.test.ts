import { rankBucketStart } from '@rankstream/schemas';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The projector buckets in TypeScript, the query API and back-fills in SQL: they must agree.
describe('rank_bucket_start() in PostgreSQL', () => {
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
    const edges = [0, 1, -1, 255, -255, 256, -256, 257, -257, 511, 512, -512, MAX, -MAX];
    for (let e = 8; e < 53; e++) edges.push(2 ** e, 2 ** e - 1, 2 ** e + 1, -(2 ** e), -(2 ** e - 1), -(2 ** e + 1));
    const random = fc.sample(fc.integer({ min: -MAX, max: MAX }), { numRuns: 3000, seed: 7 });
    const small = fc.sample(fc.integer({ min: -100_000, max: 100_000 }), { numRuns: 3000, seed: 8 });
    const values = [...edges, ...random, ...small];
    const { rows } = await db.query<{ start: string }>(
      'SELECT rank_bucket_start(x)::text AS start FROM unnest($1::bigint[]) WITH ORDINALITY AS v(x, i) ORDER BY i',
      [values.map(String)],
    );
    expect(rows.map((r) => Number(r.start))).toEqual(values.map(rankBucketStart));
  });
});
