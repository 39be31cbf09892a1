import type { Logger, Registry } from '@rankstream/schemas/runtime';
import type { ApiKey } from '../auth/api-keys.js';
import type { PlayerMinuteCounter } from '../domain/player-minute-counter.js';
import type { IngestMetrics } from '../metrics.js';
import type { AuditLog, BanList, BoardStore, EventPublisher, LogStatus, ProfileStore, UserKeys } from '../ports.js';
import type { RateLimiter } from '../rate-limiter.js';

/** Everything the HTTP app needs, passed in: real adapters in main.ts, fakes in unit tests. */
export interface AppDeps {
  publisher: EventPublisher;
  boards: BoardStore;
  profiles: ProfileStore;
  bans: BanList;
  userKeys: UserKeys;
  audit: AuditLog;
  apiKeys: readonly ApiKey[];
  rateLimiter: RateLimiter;
  /** Each player's events per board this minute, for the boards' maxEventsPerMinute. */
  playerMinutes: PlayerMinuteCounter;
  /** Receipt time in ms; the default occurredAt and the clock-skew check use it. */
  now: () => number;
  /** Assigns eventIds and userIds (UUIDv7 in production). */
  newId: () => string;
  /** The events topic, named in consistency tokens. */
  topic: string;
  limits: {
    maxBodyBytes: number;
    maxClockSkewMs: number;
    strictBoards: boolean;
    /** Retry-After for a 503 while Kafka is unavailable. */
    unavailableRetryAfterS: number;
  };
  metrics: IngestMetrics;
  /** Served at GET /metrics; holds `metrics`. */
  metricsRegistry: Registry;
  /** The text GET /metrics answers (the whole cluster's with INGEST_WORKERS > 1); left out, the registry's. */
  metricsText?: () => Promise<string>;
  logger: Logger;
  /** Origins a browser page may call the API from (the dashboard's), or ['*']. */
  corsOrigins?: readonly string[];
  /** The events log's counts for GET /v1/status; left out, they are null there. */
  logStatus?: LogStatus;
  readiness: Record<string, () => Promise<unknown>>;
}
