import { corsOriginsEnv, kafkaEnv, logEnv, parseEnv, port, postgresEnv, redisEnv } from '@rankstream/schemas/runtime';
import { z } from 'zod';

const ms = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/** Every variable the query API reads; the root README's configuration table documents each one. */
export const queryEnv = {
  ...logEnv,
  ...postgresEnv,
  ...redisEnv,
  EVENTS_TOPIC: kafkaEnv.EVENTS_TOPIC,
  QUERY_PORT: port(8081),
  /**
   * Processes serving the port (node:cluster). 1 = a single process. More use more cores: the
   * per-address rate limit and /metrics stay service-wide (kept in the primary process).
   */
  QUERY_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  /** Requests per second per client address; 0 turns the limit off. */
  QUERY_RATE_LIMIT_PER_S: z.coerce.number().int().min(0).default(1000),
  /**
   * instance: each process (or each service with QUERY_WORKERS) counts on its own; shared: every
   * instance counts in Redis (one more Redis call per request), falling back to instance while
   * Redis does not answer.
   */
  QUERY_RATE_LIMIT_SCOPE: z.enum(['instance', 'shared']).default('instance'),
  /** Take the client address from the first X-Forwarded-For hop (only behind a trusted proxy). */
  TRUST_FORWARDED_FOR: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  ...corsOriginsEnv,
  /** Where the dashboard's browser reaches the ingest API; unset, the page's host on port 8080. */
  DASHBOARD_INGEST_URL: z.string().url().optional(),
  /** How long a read with a consistency token may wait for the projection to cover it. */
  CONSISTENCY_WAIT_MS: ms(2000),
  CONSISTENCY_POLL_MS: ms(25, 1),
  /** A Redis read slower than this counts as a failure and the request is answered from PostgreSQL. */
  REDIS_DEADLINE_MS: ms(50, 1),
  /** Redis is bypassed while it misses an offset PostgreSQL has held for longer than this. */
  MAX_REDIS_LAG_MS: ms(3000),
  /** How often the PostgreSQL and Redis watermarks are compared for MAX_REDIS_LAG_MS. */
  REDIS_LAG_CHECK_MS: ms(500, 10),
  /** Circuit breaker around Redis: failure percentage that opens it, over at least this many calls. */
  REDIS_BREAKER_ERROR_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
  REDIS_BREAKER_MIN_CALLS: z.coerce.number().int().min(1).default(5),
  /** How long the breaker stays open before one trial call goes to Redis again. */
  REDIS_BREAKER_RESET_MS: ms(2000, 1),
  /** Top pages kept in memory, each until the projection's state moves (an LRU); 0 turns the cache off. */
  QUERY_CACHE_ENTRIES: z.coerce.number().int().min(0).default(10_000),
  /**
   * How often the projection's state is re-read from Redis besides the projector's pushes: the
   * longest a lost push can leave this process's copy (and its cached pages) behind.
   */
  QUERY_STATE_POLL_MS: ms(100, 10),
  /** SSE: how often a stream looks for a change, the least time between two pushes, and heartbeats. */
  STREAM_POLL_MS: ms(100, 10),
  STREAM_MIN_INTERVAL_MS: ms(250, 0),
  STREAM_HEARTBEAT_MS: ms(15000, 100),
};

export type QueryConfig = ReturnType<typeof parseQueryConfig>;

export function parseQueryConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(queryEnv, env);
}
