import type { Logger, ReadinessCheck, Registry } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { QueryConfig } from './config.js';
import type { RankingReader, StoreRead } from './domain/read-model.js';
import type { QueryMetrics } from './query-metrics.js';
import type { Served } from './readers/fallback.js';

/** Chooses the store for each read (FallbackReader in production). */
export interface ServingReader {
  read<T>(op: (reader: RankingReader) => Promise<StoreRead<T>>): Promise<Served<T>>;
}

export type AppConfig = Pick<
  QueryConfig,
  | 'EVENTS_TOPIC'
  | 'CONSISTENCY_WAIT_MS'
  | 'CONSISTENCY_POLL_MS'
  | 'QUERY_RATE_LIMIT_PER_S'
  | 'CORS_ORIGINS'
  | 'STREAM_POLL_MS'
  | 'STREAM_MIN_INTERVAL_MS'
  | 'STREAM_HEARTBEAT_MS'
>;

export interface AppDeps {
  reader: ServingReader;
  config: AppConfig;
  logger: Logger;
  registry: Registry;
  metrics: QueryMetrics;
  readiness: Record<string, ReadinessCheck>;
  clientAddress: (c: Context) => string;
  /** The per-address limiter (createRateLimiter); left out, one in this process's memory. */
  rateLimiter?: RateLimiterAbstract | null;
  /** The text GET /metrics answers (the whole cluster's in cluster mode); left out, `registry`'s. */
  metricsText?: () => Promise<string>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}
