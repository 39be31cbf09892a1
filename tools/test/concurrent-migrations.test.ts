import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLogger, migrate } from '@rankstream/schemas/runtime';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { baseServiceUrls } from '../src/testing/index.js';

const MIGRATIONS = readdirSync(fileURLToPath(new URL('../../schemas/migrations', import.meta.url))).filter((f) =>
  f.endsWith('.sql'),
);
const name = `rs_test_migrate_${randomBytes(4).toString('hex')}`;
const admin = new URL(baseServiceUrls().postgresBaseUrl);
const target = new URL(admin);
target.pathname = `/${name}`;

afterAll(async () => {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
});

describe('migrate', () => {
  it('lets processes that start together wait for each other instead of failing on the migration lock', async () => {
    // Like `npm start` (three services) or QUERY_WORKERS > 1: several migrate() on one fresh database.
    const logger = createLogger('test', 'silent');
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => migrate(target.toString(), logger)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);

    const client = new pg.Client({ connectionString: target.toString() });
    await client.connect();
    const { rows } = await client.query('SELECT name FROM pgmigrations ORDER BY id');
    await client.end();
    expect(rows.map((r) => `${r.name}.sql`)).toEqual([...MIGRATIONS].sort());
  });
});
