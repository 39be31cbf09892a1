import { createLogger, createPool, type Pool } from '@rankstream/schemas/runtime';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresBoardStore } from '../src/adapters/postgres-board-store.js';
import { createPostgresProfileStore } from '../src/adapters/postgres-profile-store.js';
import type { Profile } from '../src/domain/profile-merge.js';

let env: TestEnv;
let pool: Pool;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_pg' });
  pool = createPool(env.databaseUrl, 10, createLogger('test', 'silent'));
});

afterAll(async () => {
  await pool?.end();
  await env?.cleanup();
});

describe('PostgreSQL board store', () => {
  it('creates a board once under concurrent PUTs: one created, the others updates, none failing', async () => {
    const boards = createPostgresBoardStore(pool);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => boards.put('race', { order: 'asc', periods: i % 2 ? ['daily'] : [] })),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual([
      'created',
      'updated',
      'updated',
      'updated',
      'updated',
      'updated',
    ]);
    expect((await pool.query('SELECT count(*)::int AS n FROM boards WHERE board = $1', ['race'])).rows[0].n).toBe(1);
  });

  it('gives every concurrent first use the same, single board', async () => {
    const boards = createPostgresBoardStore(pool);
    const created = await Promise.all(Array.from({ length: 6 }, () => boards.createIfMissing('first-use')));
    expect(new Set(created.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(created[0]).toMatchObject({ board: 'first-use', order: 'desc', defaultOp: 'add', periods: [] });
  });

  it('keeps the order and merges omitted fields', async () => {
    const boards = createPostgresBoardStore(pool);
    expect((await boards.put('b1', { order: 'asc', defaultOp: 'best' })).status).toBe('created');
    expect(await boards.put('b1', { periods: ['weekly', 'daily'] })).toMatchObject({
      status: 'updated',
      definition: { order: 'asc', defaultOp: 'best', periods: ['daily', 'weekly'] },
    });
    expect((await boards.put('b1', { order: 'desc' })).status).toBe('order_immutable');
    expect(await boards.get('b1')).toMatchObject({ order: 'asc', defaultOp: 'best', periods: ['daily', 'weekly'] });
  });
});

describe('PostgreSQL profile store', () => {
  it('serialises concurrent writes for one new user: each sees the one before', async () => {
    const profiles = createPostgresProfileStore(pool);
    const seen: (string | undefined)[] = [];
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        profiles.withUser('racer', async (current) => {
          seen.push(current?.username);
          await new Promise((r) => setTimeout(r, 20)); // the publish
          const save: Profile = { userId: 'racer', username: name, imageUrl: null, region: null };
          return { save, result: null };
        }),
      ),
    );
    // Exactly one step saw no profile, and every other saw a distinct earlier one.
    expect(seen.filter((s) => s === undefined)).toHaveLength(1);
    expect(new Set(seen).size).toBe(4);
  });

  it('records nothing when the step fails', async () => {
    const profiles = createPostgresProfileStore(pool);
    await expect(
      profiles.withUser('failing', async () => {
        throw new Error('Kafka down');
      }),
    ).rejects.toThrow('Kafka down');
    expect((await pool.query('SELECT 1 FROM ingest_profiles WHERE user_id = $1', ['failing'])).rowCount).toBe(0);
  });
});
