import type { Logger, ReadinessCheck, Registry } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';
import type { LRUCache } from 'lru-cache';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { QueryConfig } from './config.js';
import type { BoardCalendars } from './domain/board-calendars.js';
import type { RankingReader, StoreRead } from './domain/read-model.js';
import type { FeedHub } from './live/feed-hub.js';
import type { SocketUpgrade } from './live/socket-upgrade.js';
import type { QueryMetrics } from './query-metrics.js';
import type { BoardSchedules } from './readers/board-schedules.js';
import type { Served, ServingStatus } from './readers/fallback.js';
import type { ProjectionStateCache } from './readers/projection-state.js';

/** Chooses the store for each read (FallbackReader in production). */
export interface ServingReader {
  read<T>(op: (reader: RankingReader) => Promise<StoreRead<T>>): Promise<Served<T>>;
  /** Whether a read now would go to Redis (breaker closed, not behind): cached Redis answers may serve. */
  prefersRedis?(): boolean;
  /** Which store serves now and why (FallbackReader.serving); left out, the status page reads a state. */
  serving?(): Promise<ServingStatus>;
}

/** A top page's answer at one state version, kept until the version moves. */
export interface CachedAnswer {
  version: string;
  etag: string;
  body: string;
}

export type AnswerCache = Pick<LRUCache<string, CachedAnswer>, 'get' | 'set'>;

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
  | 'DASHBOARD_INGEST_URL'
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
  /** Redis's projection state held in memory (ProjectionStateCache); left out, reads wait by sleeping. */
  states?: Pick<ProjectionStateCache, 'snapshot' | 'nextChange'>;
  /** Top pages answered per state version (QUERY_CACHE_ENTRIES); left out, every read goes to a store. */
  answerCache?: AnswerCache;
  /** The live feeds' publishers (feedHubOf); left out, the app makes its own. */
  feeds?: FeedHub;
  /** WebSocket handshakes of the server the app runs on; left out, the /ws paths are not served. */
  sockets?: SocketUpgrade;
  /** The built dashboard's folder (dist/dashboard); left out, / answers that it is not built. */
  dashboardDir?: string;
  /** Each board's seasons and resets (createBoardSchedules); left out, none. */
  schedules?: BoardSchedules;
  /** Each board's calendar as reads showed it, to name its current period before reading. */
  calendars: BoardCalendars;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}
