import { createLogger, createPool } from '@rankstream/schemas/runtime';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/postgres-store.js';
import { batchWrite } from './batch-write.js';

const logger = createLogger('test', 'silent');

/** The heartbeat's write of a partition's progress, next to the batch transactions of that partition. */
describe('heartbeat progress', () => {
  let env: TestEnv;
  let pool: ReturnType<typeof createPool>;
  let store: ReturnType<typeof createPostgresStore>;

  const logEnd = async (partition: number) => {
    const { rows } = await pool.query(
      'SELECT log_end_offset FROM projector_offsets WHERE topic = $1 AND partition = $2',
      [env.eventsTopic, partition],
    );
    return Number(rows[0]?.log_end_offset);
  };

  beforeAll(async () => {
    env = await createTestEnv({ name: 'proj_beat', partitions: 2 });
    pool = createPool(env.databaseUrl, 4, logger);
    store = createPostgresStore(pool, env.eventsTopic);
  });
  afterAll(async () => {
    await pool?.end();
    await env?.cleanup();
  });

  it('records how far the log reaches on an idle partition', async () => {
    await store.inPartitionTransaction(0, [], (tx) =>
      tx.write(batchWrite({ checkpoint: { nextOffset: 10, logEndOffset: 10, caughtUp: true } })),
    );

    const progress = await store.recordProgress(0, 12);

    expect(progress.nextOffset).toBe(10);
    expect(await logEnd(0)).toBe(12);
  });

  it('answers from the last committed row instead of waiting for a batch that holds the partition', async () => {
    await store.inPartitionTransaction(1, [], (tx) =>
      tx.write(batchWrite({ checkpoint: { nextOffset: 5, logEndOffset: 7, caughtUp: false } })),
    );
    let release!: () => void;
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const batch = store.inPartitionTransaction(1, [], async (tx) => {
      locked();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      await tx.write(batchWrite({ checkpoint: { nextOffset: 30, logEndOffset: 30, caughtUp: true } }));
    });
    await holding;

    // Must answer while the batch still holds the row; the old heartbeat waited for the batch,
    // which here would never end (it finishes only after this), hence the bound.
    const during = await Promise.race([
      store.recordProgress(1, 40),
      new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000)),
    ]);
    const heldLogEnd = await logEnd(1);
    release();
    await batch;

    if (during === 'waited') expect.fail('the heartbeat waited for the batch holding the partition');
    expect(during).toEqual({ nextOffset: 5, caughtUpAt: expect.any(Number) });
    expect(heldLogEnd).toBe(7);
    expect(await logEnd(1)).toBe(30);
    const after = await store.recordProgress(1, 41);
    expect(after.nextOffset).toBe(30);
    expect(after.caughtUpAt).toBeGreaterThanOrEqual(during.caughtUpAt);
    expect(await logEnd(1)).toBe(41);
  });

  it('neither lowers the log end nor marks the partition caught up on a beat whose offsets were read before a batch committed', async () => {
    await store.inPartitionTransaction(0, [], (tx) =>
      tx.write(batchWrite({ checkpoint: { nextOffset: 58, logEndOffset: 60, caughtUp: false } })),
    );

    const before = await store.recordProgress(0, 55);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = await store.recordProgress(0, 55);

    expect(await logEnd(0)).toBe(60);
    // Not caught up: 58 < 60, although the stale beat read a log end of 55.
    expect(after.caughtUpAt).toBe(before.caughtUpAt);
  });
});
