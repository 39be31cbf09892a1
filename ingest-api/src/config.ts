import {
  corsOriginsEnv,
  kafkaEnv,
  logEnv,
  parseEnv,
  port,
  postgresEnv,
  redisEnv,
  registryEnv,
} from '@rankstream/schemas/runtime';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)?$/, 'must be a whole number of milliseconds, or end in ms, s, m or h (e.g. 5m)')
  .transform((v) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h)?$/.exec(v)!;
    return Number(n) * UNIT_MS[(unit ?? 'ms') as keyof typeof UNIT_MS];
  });
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Every variable the ingest API reads; the root README's configuration table documents each one. */
export const ingestEnv = {
  ...logEnv,
  ...kafkaEnv,
  ...registryEnv,
  ...postgresEnv,
  /** Only for RATE_LIMIT_SCOPE=shared. */
  ...redisEnv,
  ...corsOriginsEnv,
  INGEST_PORT: port(8080),
  /**
   * Processes serving the port (node:cluster); 1 = a single process. More use more cores; the rate
   * limit buckets then live in the primary, so a key's rate stays the service's.
   */
  INGEST_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  EVENTS_PARTITIONS: positiveInt(6),
  /** `name:sha256hex:scope+scope`, comma-separated. Unset: a dev key is generated (see README). */
  API_KEYS: z.string().optional(),
  /** Where the generated dev key is kept when API_KEYS is unset (git-ignored). */
  DEV_API_KEY_FILE: z.string().optional(),
  /** true: an event for a board nobody defined is a 404 instead of creating the board with defaults. */
  STRICT_BOARDS: bool,
  /** How far in the future occurredAt may be, in milliseconds (default 5 minutes). */
  MAX_CLOCK_SKEW_MS: z.coerce.number().int().positive().optional(),
  /** The name for it: a duration such as `300000`, `300000ms`, `300s` or `5m`. MAX_CLOCK_SKEW_MS wins. */
  MAX_CLOCK_SKEW: duration.optional(),
  MAX_BODY_BYTES: positiveInt(2 * 1024 * 1024),
  /** Sustained events per second per API key; the bucket holds twice this (the burst). */
  RATE_LIMIT_EVENTS_PER_S: positiveInt(20_000).refine(
    (n) => n * 2 >= 1000,
    'must be at least 500, so that a legal 1,000-event batch fits the burst',
  ),
  /**
   * instance: each instance (with INGEST_WORKERS, each service) keeps its own buckets; shared: every
   * instance counts a key's events in Redis (REDIS_URL), per instance again while Redis is away.
   */
  RATE_LIMIT_SCOPE: z.enum(['instance', 'shared']).default('instance'),
  /** How long the broker may wait for all in-sync replicas (acks=all) before failing a produce. */
  KAFKA_ACK_TIMEOUT_MS: positiveInt(5_000),
  /** A request whose events are not all acknowledged within this gets a 503 (client-side deadline). */
  PRODUCE_DEADLINE_MS: positiveInt(10_000),
  /** How long a board definition may be served from this instance's memory. */
  BOARD_CACHE_TTL_MS: z.coerce.number().int().min(0).default(1_000),
};

export type IngestConfig = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv) {
  const parsed = parseEnv(ingestEnv, env);
  return { ...parsed, maxClockSkewMs: parsed.MAX_CLOCK_SKEW_MS ?? parsed.MAX_CLOCK_SKEW ?? 5 * 60_000 };
}
