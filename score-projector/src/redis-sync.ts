import { randomUUID } from 'node:crypto';
import type { Logger } from '@rankstream/schemas/runtime';
import { boardJson, type RedisStore } from './adapters/redis-store.js';
import type { RedisProjectionState } from './batch-processor.js';
import type { BoardDefinition, ProjectionStore } from './domain/ports.js';
import type { ProjectorMetrics } from './projector-metrics.js';

const LOCK_TTL_MS = 30_000;
const LOCK_REFRESH_MS = 5_000;
const PAGE_SIZE = 5_000;

/** `ahead`: Redis's watermark is past PostgreSQL's checkpoint, so it describes a log replaced since. */
export type RebuildReason = 'missing' | 'behind' | 'ahead' | 'write_failed';

/**
 * Keeps Redis a faithful copy of PostgreSQL. Batches write committed values straight after COMMIT;
 * this watches for what they cannot fix themselves: a flushed or empty Redis (`ready` missing), a
 * failed Redis write, or a watermark behind PostgreSQL with no batch in flight (a crash between the
 * COMMIT and the Redis write). It then rebuilds from a consistent PostgreSQL snapshot while the
 * consumer keeps going; the versioned writes make the two safe to interleave.
 */
export function createRedisSync(deps: {
  postgres: ProjectionStore;
  redis: RedisStore;
  metrics: ProjectorMetrics;
  logger: Logger;
  intervalMs: number;
  /** Partitions this instance owns now (undefined before the first assignment: check them all). */
  assignedPartitions(): readonly number[] | undefined;
}) {
  const { postgres, redis, metrics, logger } = deps;
  let writeFailed = false;
  let discardPending = false;
  let rebuilding: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const inFlight = new Map<number, number>();
  // Bumped when a batch starts: a check that saw it change cannot trust what it read meanwhile.
  const generation = new Map<number, number>();
  const verified = new Set<number>();
  const mirroredBoards = new Map<string, string>();

  const state: RedisProjectionState = {
    batchStarted(partition) {
      inFlight.set(partition, (inFlight.get(partition) ?? 0) + 1);
      generation.set(partition, (generation.get(partition) ?? 0) + 1);
    },
    batchEnded(partition) {
      const n = (inFlight.get(partition) ?? 1) - 1;
      if (n <= 0) inFlight.delete(partition);
      else inFlight.set(partition, n);
    },
    writeFailed(error) {
      if (!writeFailed) logger.warn({ err: (error as Error).message }, 'Redis write failed: Redis will be rebuilt');
      writeFailed = true;
    },
    async verifyWatermark(partition, checkpoint) {
      if (verified.has(partition)) return;
      // A previous owner may have died between its COMMIT and its Redis write; once this batch moves
      // the watermark past that point, nothing else would notice the hole.
      const wm = await redis.watermark(partition);
      if (Math.max(wm, 0) < checkpoint) {
        logger.info({ partition, wm, checkpoint }, 'Redis watermark behind the checkpoint at assignment');
        writeFailed = true;
      }
      verified.add(partition);
    },
    rebuildPending: () => writeFailed,
    logRestarted() {
      discardPending = true;
    },
  };

  async function mirrorBoards(boards: readonly BoardDefinition[]): Promise<void> {
    const changed = boards.filter((b) => mirroredBoards.get(b.board) !== boardJson(b));
    await redis.writeBoards(changed);
    for (const b of changed) mirroredBoards.set(b.board, boardJson(b));
  }

  /**
   * Whether a quiet partition's Redis watermark trails PostgreSQL's checkpoint, or is past it. Redis
   * is written after PostgreSQL commits, so it is past it only when the log was replaced and the
   * projector died before discarding Redis, or PostgreSQL was restored from an older backup. (Not
   * checked at assignment: there a zombie's late write can be ahead of the first batch's checkpoint.)
   */
  async function outOfStep(): Promise<'behind' | 'ahead' | undefined> {
    const assigned = deps.assignedPartitions();
    const before = new Map(generation);
    const offsets = await postgres.readOffsets();
    const wms = await redis.watermarks();
    const partitions = (assigned ?? [...offsets.keys()]).filter(
      (p) => !inFlight.has(p) && before.get(p) === generation.get(p),
    );
    if (partitions.some((p) => (wms.get(p) ?? -1) > (offsets.get(p) ?? 0))) return 'ahead';
    if (partitions.some((p) => Math.max(wms.get(p) ?? 0, 0) < (offsets.get(p) ?? 0))) return 'behind';
    return undefined;
  }

  async function reasonToRebuild(): Promise<RebuildReason | undefined> {
    const reason = discardPending ? 'ahead' : await observedReason();
    if (reason === 'ahead') {
      // Its watermarks describe a log that is gone and no rebuild lowers them: readers must stop
      // trusting Redis now, and only a rebuild from scratch drops them.
      await redis.discard();
      discardPending = false;
    }
    return reason;
  }

  async function observedReason(): Promise<RebuildReason | undefined> {
    if (!(await redis.isReady())) return 'missing';
    if (writeFailed) return 'write_failed';
    return outOfStep();
  }

  async function rebuild(reason: RebuildReason): Promise<boolean> {
    const token = randomUUID();
    if (!(await redis.tryLock(token, LOCK_TTL_MS))) return false; // another instance is on it
    const started = Date.now();
    logger.info({ reason }, 'rebuilding Redis from PostgreSQL');
    let lockLost = false;
    const refresher = setInterval(() => {
      redis
        .refreshLock(token, LOCK_TTL_MS)
        .then((ok) => {
          if (!ok) lockLost = true;
        })
        .catch(() => {
          lockLost = true;
        });
    }, LOCK_REFRESH_MS);
    try {
      // Failures from here on happen after the snapshot is taken, so they need another round.
      writeFailed = false;
      // From scratch when Redis was flushed or emptied, so nothing a partial flush left survives.
      if (reason === 'missing' || reason === 'ahead') await redis.clear();
      const done = await postgres.withRebuildSnapshot(async (snapshot) => {
        mirroredBoards.clear();
        await mirrorBoards(snapshot.boards);
        let totals = 0;
        for await (const page of snapshot.totals(PAGE_SIZE)) {
          if (lockLost || stopped) return false;
          await redis.apply({ totals: page, profiles: [], boards: [], watermarks: new Map() });
          totals += page.length;
        }
        for await (const page of snapshot.profiles(PAGE_SIZE)) {
          if (lockLost || stopped) return false;
          await redis.apply({ totals: [], profiles: page, boards: [], watermarks: new Map() });
        }
        const finished = await redis.finishRebuild(token, snapshot.offsets, Date.now());
        logger.info({ reason, totals, ms: Date.now() - started, finished }, 'Redis rebuild done');
        return finished;
      });
      if (!done)
        writeFailed = true; // flushed or interrupted meanwhile: go again
      else metrics.redisRebuilds.inc({ reason });
      return done;
    } catch (error) {
      writeFailed = true;
      await redis.releaseLock(token).catch(() => {});
      throw error;
    } finally {
      clearInterval(refresher);
    }
  }

  async function check(): Promise<void> {
    if (rebuilding) return;
    const reason = await reasonToRebuild();
    await mirrorBoards(await postgres.readBoards());
    if (!reason) return;
    rebuilding = rebuild(reason)
      .then(() => undefined)
      .finally(() => {
        rebuilding = undefined;
      });
    await rebuilding;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      check()
        .catch((error) => logger.warn({ err: (error as Error).message }, 'Redis check failed'))
        .finally(schedule);
    }, deps.intervalMs);
  }

  return {
    state,
    /** After every assignment each partition's first batch checks the watermark again. */
    partitionsAssigned(): void {
      verified.clear();
    },
    /** Checks once now (on start, before consuming), then every interval. */
    async start(): Promise<void> {
      await check().catch((error) => logger.warn({ err: (error as Error).message }, 'Redis check failed'));
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await rebuilding?.catch(() => {});
    },
    checkNow: check,
  };
}

export type RedisSync = ReturnType<typeof createRedisSync>;
