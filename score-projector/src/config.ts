import {
  dlqTopic,
  kafkaEnv,
  logEnv,
  parseEnv,
  port,
  postgresEnv,
  redisEnv,
  registryEnv,
} from '@rankstream/schemas/runtime';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `forever`, or a whole number of s, m, h or d (`7d`, `36h`): seconds, null for forever. */
const dedupWindow = z
  .string()
  .default('7d')
  .transform((raw, ctx) => {
    if (raw === 'forever') return null;
    const match = /^(\d+)([smhd])$/.exec(raw);
    const seconds = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : 0;
    if (seconds < 3_600) {
      ctx.addIssue({ code: 'custom', message: 'must be "forever" or a duration of at least 1h, like 7d or 36h' });
      return z.NEVER;
    }
    return seconds;
  });

/** Every variable the projector reads; the root README's configuration table documents each one. */
export const projectorEnv = {
  ...logEnv,
  ...kafkaEnv,
  ...registryEnv,
  ...postgresEnv,
  ...redisEnv,
  PROJECTOR_PORT: port(8082),
  EVENTS_PARTITIONS: positiveInt(6),
  PROJECTOR_GROUP_ID: z.string().min(1).default('score-projector'),
  /** Partitions processed at the same time by one instance (overlaps PostgreSQL and Redis round trips). */
  PROJECTOR_CONCURRENCY: positiveInt(3),
  /** Kafka consumer session timeout: how long a dead instance keeps its partitions (broker minimum 6000). */
  KAFKA_SESSION_TIMEOUT_MS: positiveInt(10_000),
  /** Upper bound on what one fetch brings per partition, so one batch is one bounded transaction. */
  PROJECTOR_MAX_BYTES_PER_PARTITION: positiveInt(2 * 1024 * 1024),
  /** How often Redis is checked for a flush or a lag behind PostgreSQL (the spec says within 10 s). */
  REDIS_CHECK_INTERVAL_MS: positiveInt(2_000),
  /**
   * Retries of a failing batch (PostgreSQL or the registry unreachable), with backoff up to 5 s, before
   * kafkajs restarts the consumer (rejoining the group) and starts retrying again.
   */
  PROJECTOR_BATCH_RETRIES: z.coerce.number().int().min(0).default(10),
  /**
   * Committed totals kept in memory per owned partition so a batch loads only unseen ones from
   * PostgreSQL (about 200 bytes each); 0 turns the cache off.
   */
  PROJECTOR_TOTALS_CACHE_ENTRIES: z.coerce.number().int().min(0).default(500_000),
  /**
   * How long (in log time) a retried eventId is still recognised: a repeat within it is never counted
   * twice; one past it counts again. `forever` keeps every eventId (memory grows with the log).
   */
  DEDUP_WINDOW: dedupWindow,
  /**
   * The best entries kept in Redis per board instance; ranks past them are read from PostgreSQL.
   * 0 keeps every entry. Every projector of a deployment must use the same value: Redis is rebuilt
   * when it changes.
   */
  REDIS_TOP_K: z.coerce.number().int().min(0).default(0),
  /**
   * The instances of each period (daily, weekly, monthly) Redis keeps per board: the current one and
   * those just before it. Older ones are in PostgreSQL only, and the query API reads them there. 0
   * keeps every instance. Redis is rebuilt when it changes.
   */
  REDIS_KEEP_PERIODS: z.coerce.number().int().min(0).max(1000).default(3),
  /** How often the heartbeat records log end offsets and caught-up times. */
  HEARTBEAT_INTERVAL_MS: positiveInt(1_000),
};

export type ProjectorConfig = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv) {
  const parsed = parseEnv(projectorEnv, env);
  return { ...parsed, dlqTopic: dlqTopic(parsed) };
}
