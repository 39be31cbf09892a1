import { type Logger, runEvery } from '@rankstream/schemas/runtime';
import type { RedisStore } from './adapters/redis-store.js';
import type { ProjectionStore } from './domain/ports.js';
import type { LogEnds } from './log-ends.js';
import type { ProjectorMetrics } from './projector-metrics.js';

/**
 * About every second, per owned partition: how far the log reaches, and when the projection was last
 * caught up, in PostgreSQL (projector_offsets) and Redis (`progress`). The query API derives the
 * projection lag from these even when no events arrive, which the batches alone cannot tell it.
 * The store is told how far behind the owned partitions are (it vacuums when a backlog ends).
 */
export function startHeartbeat(deps: {
  postgres: ProjectionStore;
  redis: RedisStore;
  metrics: ProjectorMetrics;
  logEnds: LogEnds;
  logger: Logger;
  intervalMs: number;
  logEndOffsets(): Promise<Map<number, number>>;
  assignedPartitions(): readonly number[] | undefined;
}): { stop(): Promise<void> } {
  async function beat(): Promise<void> {
    const partitions = deps.assignedPartitions() ?? [];
    if (partitions.length === 0) return;
    const ends = await deps.logEndOffsets();
    const now = Date.now();
    const progress = new Map<number, { logEnd: number; caughtUpAt: number; at: number }>();
    let behind = 0;
    for (const partition of partitions) {
      const logEnd = ends.get(partition);
      if (logEnd === undefined) continue;
      deps.logEnds.record(partition, logEnd);
      const { caughtUpAt, nextOffset } = await deps.postgres.recordProgress(partition, logEnd);
      progress.set(partition, { logEnd, caughtUpAt, at: now });
      behind += Math.max(0, logEnd - nextOffset);
      const label = { partition: String(partition) };
      deps.metrics.consumerLag.set(label, Math.max(0, logEnd - nextOffset));
      deps.metrics.projectionLag.set(label, nextOffset >= logEnd ? 0 : Math.max(0, now - caughtUpAt) / 1000);
    }
    // In the background: a vacuum after a backlog takes seconds, and the beats must go on.
    if (progress.size === partitions.length) void deps.postgres.behind(behind).catch(() => {});
    await deps.redis
      .writeProgress(progress)
      .catch((error) => deps.logger.debug({ err: (error as Error).message }, 'progress not written to Redis'));
  }

  return runEvery(deps.intervalMs, beat, (error) =>
    deps.logger.warn({ err: (error as Error).message }, 'heartbeat failed'),
  );
}
