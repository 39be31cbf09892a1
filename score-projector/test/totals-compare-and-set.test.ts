import { createLogger, createPool } from '@rankstream/schemas/runtime';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, TotalsConflictError } from '../src/adapters/postgres-store.js';
import { type FoldedTotal, totalKey } from '../src/domain/batch-fold.js';
import type { PartitionTransaction } from '../src/domain/ports.js';
import { batchWrite } from './batch-write.js';
import { postgresPeriodCounts, postgresTotals } from './projection-state.js';

const logger = createLogger('test', 'silent');

const writeTotals = (tx: PartitionTransaction, totals: FoldedTotal[]) => tx.write(batchWrite({ totals }));

function folded(userId: string, score: number, version: number, baseVersion: number): FoldedTotal {
  return {
    board: 'cas',
    periodKey: 'all',
    userId,
    score,
    rankScore: -score,
    reachedAt: 1_000 + version,
    eventCount: 1,
    version,
    baseVersion,
    details: null,
    tieKey: '',
    key: totalKey({ board: 'cas', periodKey: 'all', userId }),
  };
}

/**
 * The totals write of two partitions' batches over the same user (a producer that partitions
 * differently from the ingest API): whichever commits second must find out and write nothing, so
 * that the batch processor folds it again over the fresh total.
 */
describe('totals compare-and-set', () => {
  let env: TestEnv;
  let pool: ReturnType<typeof createPool>;
  let store: ReturnType<typeof createPostgresStore>;

  beforeAll(async () => {
    env = await createTestEnv({ name: 'proj_cas', partitions: 2 });
    pool = createPool(env.databaseUrl, 4, logger);
    store = createPostgresStore(pool, env.eventsTopic);
    await store.inPartitionTransaction(0, [], (tx) => tx.ensureBoards(['cas']));
  });
  afterAll(async () => {
    await pool?.end();
    await env?.cleanup();
  });

  it('refuses a new total that another partition created first, and writes nothing of the batch', async () => {
    await store.inPartitionTransaction(0, [], (tx) => writeTotals(tx, [folded('u1', 10, 5, -1)]));

    const second = store.inPartitionTransaction(1, [], (tx) =>
      writeTotals(tx, [folded('u2', 7, 3, -1), folded('u1', 99, 3, -1)]),
    );

    await expect(second).rejects.toBeInstanceOf(TotalsConflictError);
    const totals = await postgresTotals(pool);
    expect(totals.get('cas/all/u1')).toEqual({ score: 10, reachedAt: 1_005, eventCount: 1, version: 5 });
    expect(totals.has('cas/all/u2')).toBe(false);
    expect((await postgresPeriodCounts(pool)).get('cas/all')).toBe(1);
  });

  it('refuses a new total that another partition is creating, once that one commits', async () => {
    let commitFirst!: () => void;
    let firstWrote!: () => void;
    const wrote = new Promise<void>((resolve) => {
      firstWrote = resolve;
    });
    const first = store.inPartitionTransaction(0, [], async (tx) => {
      await writeTotals(tx, [folded('u3', 1, 8, -1)]);
      firstWrote();
      await new Promise<void>((resolve) => {
        commitFirst = resolve;
      });
    });
    await wrote;
    // Waits on the first transaction's uncommitted row, then fails once it commits.
    const second = store
      .inPartitionTransaction(1, [], (tx) => writeTotals(tx, [folded('u3', 2, 4, -1)]))
      .then(
        () => 'written',
        (error: unknown) => error,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
    commitFirst();
    await first;

    expect(await second).toBeInstanceOf(TotalsConflictError);
    expect((await postgresTotals(pool)).get('cas/all/u3')?.score).toBe(1);
  });

  it('refuses an update over a version that is no longer the stored one', async () => {
    await store.inPartitionTransaction(0, [], (tx) => writeTotals(tx, [folded('u4', 5, 10, -1)]));

    const stale = store.inPartitionTransaction(1, [], (tx) => writeTotals(tx, [folded('u4', 6, 11, 9)]));

    await expect(stale).rejects.toMatchObject({ name: 'TotalsConflictError', expected: 1, written: 0 });
    expect((await postgresTotals(pool)).get('cas/all/u4')?.score).toBe(5);
  });

  it('writes an update over the stored version and a new total in one statement', async () => {
    await store.inPartitionTransaction(0, [], (tx) => writeTotals(tx, [folded('u5', 1, 2, -1)]));

    await store.inPartitionTransaction(1, [], (tx) => writeTotals(tx, [folded('u5', 3, 4, 2), folded('u6', 9, 4, -1)]));

    const totals = await postgresTotals(pool);
    expect(totals.get('cas/all/u5')).toEqual({ score: 3, reachedAt: 1_004, eventCount: 1, version: 4 });
    expect(totals.get('cas/all/u6')?.score).toBe(9);
    expect((await postgresPeriodCounts(pool)).get('cas/all')).toBe(totals.size);
  });
});
