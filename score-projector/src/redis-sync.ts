import { randomUUID } from 'node:crypto';
import { type Logger, runEvery } from '@rankstream/schemas/runtime';
import { boardJson, type Instance, type RedisStore } from './adapters/redis-store.js';
import type { RedisProjectionState } from './batch-processor.js';
import type { BoardDefinition, ProjectionStore, RebuildSnapshot } from './domain/ports.js';
import { createRedisHealth, type RebuildReason, type RedisObservation } from './domain/redis-health.js';
import type { ProjectorMetrics } from './projector-metrics.js';

const LOCK_TTL_MS = 30_000;
const LOCK_REFRESH_MS = 5_000;
const PAGE_SIZE = 5_000;
const DROP_EVERY_MS = 60_000;

export type { RebuildReason };

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
  const health = createRedisHealth();
  let rebuilding: Promise<void> | undefined;
  let loop: { stop(): Promise<void> } | undefined;
  let stopped = false;
  const mirroredBoards = new Map<string, string>();
  let unfilled: { token: string; instances: Instance[] } | undefined;
  let droppedAt = 0;

  const state: RedisProjectionState = {
    batchStarted: (partition) => health.batchStarted(partition),
    batchEnded: (partition) => health.batchEnded(partition),
    writeFailed(error) {
      if (health.writeFailed())
        logger.warn({ err: (error as Error).message }, 'Redis write failed: Redis will be rebuilt');
    },
    async verifyWatermark(partition, checkpoint) {
      if (!health.needsWatermarkCheck(partition)) return;
      // A previous owner may have died between its COMMIT and its Redis write; once this batch moves
      // the watermark past that point, nothing else would notice the hole.
      const wm = await redis.watermark(partition);
      if (health.watermarkChecked(partition, wm, checkpoint)) {
        logger.info({ partition, wm, checkpoint }, 'Redis watermark behind the checkpoint at assignment');
      }
    },
    rebuildPending: () => health.rebuildPending(),
    logRestarted: () => health.logRestarted(),
  };

  async function mirrorBoards(boards: readonly BoardDefinition[]): Promise<void> {
    const changed = boards.filter((b) => mirroredBoards.get(b.board) !== boardJson(b));
    await redis.writeBoards(changed);
    for (const b of changed) mirroredBoards.set(b.board, boardJson(b));
  }

  /**
   * What the rebuild decision needs (redis-health.ts). A quiet partition's watermark past PostgreSQL's
   * checkpoint happens only when the log was replaced and the projector died before discarding Redis,
   * or PostgreSQL was restored from an older backup. (Not judged at assignment: there a zombie's late
   * write can be ahead of the first batch's checkpoint.)
   */
  async function observe(): Promise<RedisObservation> {
    const ready = await redis.isReady();
    const startedBefore = health.batchesStarted();
    const checkpoints = await postgres.readOffsets();
    const watermarks = await redis.watermarks();
    const partitions = deps.assignedPartitions() ?? [...checkpoints.keys()];
    return { ready, startedBefore, checkpoints, watermarks, partitions };
  }

  async function reasonToRebuild(): Promise<RebuildReason | undefined> {
    const reason = health.mustDiscard() ? 'ahead' : health.reasonToRebuild(await observe());
    if (reason === 'ahead') {
      // Its watermarks describe a log that is gone and no rebuild lowers them: readers must stop
      // trusting Redis now, and only a rebuild from scratch drops them.
      await redis.discard();
      health.discardDone();
    }
    return reason;
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
      health.rebuildStarted();
      // From scratch when Redis was flushed or emptied, so nothing a partial flush left survives.
      const cleared = reason === 'missing' || reason === 'ahead';
      if (cleared) await redis.clear();
      const epoch = await redis.startRebuild(token, Date.now());
      // Capped instances are flagged before the snapshot is taken (redis-top-k.ts).
      const flaggedAt = Date.now();
      const kept = async () => (await postgres.instances()).filter((i) => redis.keeps(i.board, i.periodKey));
      const flagged = redis.topK > 0 ? await redis.startFills(token, await kept(), 'take') : [];
      const done = await postgres.withRebuildSnapshot(async (snapshot) => {
        mirroredBoards.clear();
        await mirrorBoards(snapshot.boards);
        let totals = 0;
        if (redis.topK > 0) {
          const filled = await fillCapped(token, flagged, flaggedAt, snapshot, () => lockLost || stopped);
          if (filled === undefined) return false;
          totals = filled;
        } else {
          for await (const page of snapshot.totals(PAGE_SIZE)) {
            if (lockLost || stopped) return false;
            await redis.apply({ totals: page, profiles: [], boards: [], watermarks: new Map() });
            totals += page.length;
          }
        }
        for await (const page of snapshot.profiles(PAGE_SIZE)) {
          if (lockLost || stopped) return false;
          await redis.apply({ totals: [], profiles: page, boards: [], watermarks: new Map() });
        }
        // A rebuild that does not start from an empty Redis must still take out what admins removed
        // or erased: the snapshot's rows alone would leave an entry whose deletion Redis missed.
        if (!cleared) {
          for await (const page of snapshot.removed(PAGE_SIZE)) {
            if (lockLost || stopped) return false;
            await redis.dropRemoved(page);
          }
          for await (const page of snapshot.erased(PAGE_SIZE)) {
            if (lockLost || stopped) return false;
            await redis.apply({ totals: [], profiles: [], erasedUsers: page, boards: [], watermarks: new Map() });
          }
        }
        const finished = await redis.finishRebuild(token, epoch, snapshot.offsets);
        logger.info({ reason, totals, ms: Date.now() - started, finished }, 'Redis rebuild done');
        return finished;
      });
      if (done) {
        metrics.redisRebuilds.inc({ reason });
        return true;
      }
      // Flushed or interrupted meanwhile: go again at the next check, which the lock, held until its
      // TTL, would otherwise keep out for up to LOCK_TTL_MS.
      health.rebuildFailed(reason);
      await redis.releaseLock(token).catch(() => {});
      return false;
    } catch (error) {
      health.rebuildFailed(reason);
      await redis.releaseLock(token).catch(() => {});
      throw error;
    } finally {
      clearInterval(refresher);
    }
  }

  /**
   * Writes flagged capped instances from a snapshot: each one's best K and its counts per partition,
   * versioned by the snapshot's offsets. Returns the entries written, or undefined if it had to stop.
   */
  async function fillCapped(
    token: string,
    instances: readonly Instance[],
    flaggedAt: number,
    snapshot: RebuildSnapshot,
    interrupted: () => boolean,
  ): Promise<number | undefined> {
    const counts = new Map<string, { partition: number; offset: number; players: number }[]>();
    for (const c of await snapshot.instanceCounts()) {
      const id = JSON.stringify([c.board, c.periodKey]);
      const entry = { partition: c.partition, offset: snapshot.offsets.get(c.partition) ?? 0, players: c.players };
      counts.set(id, [...(counts.get(id) ?? []), entry]);
    }
    let written = 0;
    let extended = flaggedAt;
    for (const [i, instance] of instances.entries()) {
      if (interrupted()) return undefined;
      if (Date.now() - extended > redis.fillHoldsMs / 3) {
        await redis.extendFills(token, instances.slice(i));
        extended = Date.now();
      }
      const top = await snapshot.topTotals(instance.board, instance.periodKey, redis.topK);
      const mine = counts.get(JSON.stringify([instance.board, instance.periodKey])) ?? [];
      if (!(await redis.fill(token, instance, top, mine, snapshot.offsets))) return undefined;
      written += top.length;
    }
    return written;
  }

  /**
   * Capped instances that shrank below K/2 (entries fell past the bound) get their best K back.
   * False when it left them for later: a rebuild is running, and taking its flags would make it start
   * over, while its own fills may end shrunk (live writes during them).
   */
  async function refill(shrunk: readonly Instance[], token: string): Promise<boolean> {
    if (await redis.rebuildRunning()) return false;
    const flaggedAt = Date.now();
    const kept = shrunk.filter((i) => redis.keeps(i.board, i.periodKey));
    const instances = await redis.startFills(token, kept, 'keep');
    if (instances.length === 0) return true;
    const filled = await postgres.withRebuildSnapshot((snapshot) =>
      fillCapped(token, instances, flaggedAt, snapshot, () => stopped),
    );
    if (filled === undefined) {
      // Another rebuild took the flags over, or this one stopped: whoever holds them ends them.
      logger.info({ instances: instances.length }, 'refill of capped instances interrupted');
      return true;
    }
    metrics.redisRefills.inc(instances.length);
    return true;
  }

  async function check(): Promise<void> {
    if (rebuilding) return;
    const reason = await reasonToRebuild();
    await mirrorBoards(await postgres.readBoards());
    // A season added may make older ones go (REDIS_KEEP_PERIODS): then the drop does not wait its minute.
    if (redis.keepPeriods > 0 && redis.setSchedules(await postgres.readSchedules())) droppedAt = 0;
    if (!reason && redis.topK > 0) {
      // A refill that failed left its flags behind: the next check fills those instances again, with
      // the same token (a new one would leave them to the flags' deadline).
      // Instances left for later join them under that token.
      const retry = unfilled;
      unfilled = undefined;
      const shrunk = redis.takeShrunk();
      const pending = retry
        ? { token: retry.token, instances: distinctInstances([...retry.instances, ...shrunk]) }
        : { token: randomUUID(), instances: shrunk };
      if (pending.instances.length > 0) {
        const done = await refill(pending.instances, pending.token).catch((error) => {
          unfilled = pending;
          throw error;
        });
        if (!done) unfilled = pending;
      }
    }
    if (!reason) {
      await dropOldInstances();
      return;
    }
    rebuilding = rebuild(reason)
      .then(() => undefined)
      .finally(() => {
        rebuilding = undefined;
      });
    await rebuilding;
  }

  /** Once a minute, instances that time moved past the newest REDIS_KEEP_PERIODS leave Redis. */
  async function dropOldInstances(): Promise<void> {
    if (redis.keepPeriods === 0 || Date.now() - droppedAt < DROP_EVERY_MS) return;
    droppedAt = Date.now();
    // Instances whose players were all removed too: their member index may hold tombstones.
    const dropped = await redis.dropOldInstances(await postgres.instances({ withEmpty: true }));
    if (dropped > 0) logger.info({ dropped }, 'board instances past REDIS_KEEP_PERIODS left Redis');
  }

  const checkFailed = (error: unknown) => logger.warn({ err: (error as Error).message }, 'Redis check failed');

  return {
    state,
    /** After every assignment each partition's first batch checks the watermark again. */
    partitionsAssigned(): void {
      health.partitionsAssigned();
    },
    /** Checks once now (on start, before consuming), then every interval. */
    async start(): Promise<void> {
      await check().catch(checkFailed);
      if (!stopped) loop = runEvery(deps.intervalMs, check, checkFailed);
    },
    async stop(): Promise<void> {
      stopped = true;
      await loop?.stop();
      await rebuilding?.catch(() => {});
    },
    checkNow: check,
  };
}

export type RedisSync = ReturnType<typeof createRedisSync>;

function distinctInstances(instances: readonly Instance[]): Instance[] {
  return [...new Map(instances.map((i) => [`${i.board}\n${i.periodKey}`, i])).values()];
}
