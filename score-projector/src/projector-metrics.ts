import { Counter, Gauge, Histogram, type Registry } from '@rankstream/schemas/runtime';

/** The projector's Prometheus metrics; each one's HELP text at /metrics says what it counts. */
export function createProjectorMetrics(registry: Registry) {
  return {
    eventsApplied: new Counter({
      name: 'rankstream_projector_events_applied_total',
      help: 'Events that changed the projection (each eventId at most once, ever)',
      registers: [registry],
    }),
    eventsSkipped: new Counter({
      name: 'rankstream_projector_events_skipped_total',
      help: 'Messages not applied: duplicate (eventId seen before) or redelivered (offset already applied)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    batches: new Counter({
      name: 'rankstream_projector_batches_total',
      help: 'Batches committed to PostgreSQL',
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'rankstream_projector_batch_size',
      help: 'Messages per batch',
      buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'rankstream_projector_batch_duration_seconds',
      help: 'Time from decoding a batch to its Redis write',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'rankstream_projector_consumer_lag',
      help: 'Messages in the log not yet applied to PostgreSQL, per partition',
      labelNames: ['partition'],
      registers: [registry],
    }),
    projectionLag: new Gauge({
      name: 'rankstream_projector_projection_lag_seconds',
      help: 'Seconds since the partition was last caught up (0 when caught up), per partition',
      labelNames: ['partition'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'rankstream_projector_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    redisRebuilds: new Counter({
      name: 'rankstream_projector_redis_rebuilds_total',
      help: 'Redis rebuilds from PostgreSQL, by reason (missing, behind, ahead, write_failed)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    redisRefills: new Counter({
      name: 'rankstream_projector_redis_refills_total',
      help: 'Capped board instances (REDIS_TOP_K) refilled from PostgreSQL after they shrank below K/2',
      registers: [registry],
    }),
    redisWriteFailures: new Counter({
      name: 'rankstream_projector_redis_write_failures_total',
      help: 'Batch writes to Redis that failed (PostgreSQL had committed; Redis is rebuilt)',
      registers: [registry],
    }),
    logRestarts: new Counter({
      name: 'rankstream_projector_log_restarts_total',
      help: 'Partitions found to end before their checkpoint (topic recreated or truncated) and projected again from their start',
      registers: [registry],
    }),
    totalsConflicts: new Counter({
      name: 'rankstream_projector_totals_conflicts_total',
      help: 'Batch transactions rolled back and folded again because another partition changed a total (a user on several partitions)',
      registers: [registry],
    }),
  };
}

export type ProjectorMetrics = ReturnType<typeof createProjectorMetrics>;
