/** Why Redis is rebuilt. `ahead`: Redis's watermark is past PostgreSQL's checkpoint (a replaced log). */
export type RebuildReason = 'missing' | 'behind' | 'ahead' | 'write_failed';

/** What one check read: whether Redis is `ready`, and each partition's watermark and checkpoint. */
export interface RedisObservation {
  ready: boolean;
  watermarks: ReadonlyMap<number, number>;
  checkpoints: ReadonlyMap<number, number>;
  /** The partitions to compare (this instance's, or all PostgreSQL knows before an assignment). */
  partitions: readonly number[];
  /** batchesStarted() as taken before the watermarks and checkpoints were read. */
  startedBefore: ReadonlyMap<number, number>;
}

/**
 * Redis's health as the batch path and the periodic check see it, without I/O. Redis lacks committed
 * data when a write to it failed, or when a previous owner of a partition died between its COMMIT
 * and its Redis write (the watermark found behind the checkpoint at assignment); until a rebuild
 * ends, batches must not move watermarks past that hole. A replaced log (topic recreated) leaves
 * watermarks that describe offsets of a log that is gone: Redis is then discarded and rebuilt from
 * scratch. A partition with a batch in flight, or one that started a batch while a check was
 * reading, is left out of the comparison: its watermark may trail by that batch for good reason.
 */
export function createRedisHealth() {
  /** Why Redis lacks committed data, until a rebuild has taken its snapshot. */
  let lacking: 'write_failed' | 'behind' | undefined;
  let discardPending = false;
  const inFlight = new Map<number, number>();
  const started = new Map<number, number>();
  const verified = new Set<number>();

  return {
    batchStarted(partition: number): void {
      inFlight.set(partition, (inFlight.get(partition) ?? 0) + 1);
      started.set(partition, (started.get(partition) ?? 0) + 1);
    },
    batchEnded(partition: number): void {
      const n = (inFlight.get(partition) ?? 1) - 1;
      if (n <= 0) inFlight.delete(partition);
      else inFlight.set(partition, n);
    },
    /** Batches started per partition so far; a check takes this before it reads. */
    batchesStarted(): Map<number, number> {
      return new Map(started);
    },
    /** A write to Redis failed: it lacks committed data. Returns true the first time (to log it). */
    writeFailed(): boolean {
      const first = lacking === undefined;
      lacking ??= 'write_failed';
      return first;
    },
    /** Whether this partition's watermark still needs its check since the last assignment. */
    needsWatermarkCheck(partition: number): boolean {
      return !verified.has(partition);
    },
    /**
     * The first batch after an assignment read the watermark: behind the checkpoint means a hole, the
     * same one a periodic check would have called `behind`.
     */
    watermarkChecked(partition: number, watermark: number, checkpoint: number): boolean {
      verified.add(partition);
      const behind = Math.max(watermark, 0) < checkpoint;
      if (behind) lacking ??= 'behind';
      return behind;
    },
    partitionsAssigned(): void {
      verified.clear();
    },
    /** True while Redis lacks committed data that only a rebuild will bring back. */
    rebuildPending(): boolean {
      return lacking !== undefined;
    },
    logRestarted(): void {
      discardPending = true;
    },
    /** A replaced log was seen: Redis must be discarded and rebuilt from scratch (reason `ahead`). */
    mustDiscard(): boolean {
      return discardPending;
    },
    /** Redis was discarded (its `ready` and rebuild lock deleted). */
    discardDone(): void {
      discardPending = false;
    },
    /** The reason to rebuild, given what a check read. */
    reasonToRebuild(o: RedisObservation): RebuildReason | undefined {
      if (discardPending) return 'ahead';
      if (!o.ready) return 'missing';
      if (lacking) return lacking;
      const quiet = o.partitions.filter((p) => !inFlight.has(p) && o.startedBefore.get(p) === started.get(p));
      if (quiet.some((p) => (o.watermarks.get(p) ?? -1) > (o.checkpoints.get(p) ?? 0))) return 'ahead';
      if (quiet.some((p) => Math.max(o.watermarks.get(p) ?? 0, 0) < (o.checkpoints.get(p) ?? 0))) return 'behind';
      return undefined;
    },
    /** A rebuild took its snapshot: failures from here on need another round. */
    rebuildStarted(): void {
      lacking = undefined;
    },
    /** A rebuild did not finish (flushed, interrupted, failed): go again, for the same reason. */
    rebuildFailed(reason: RebuildReason): void {
      lacking ??= reason === 'behind' ? 'behind' : 'write_failed';
    },
  };
}

export type RedisHealth = ReturnType<typeof createRedisHealth>;
