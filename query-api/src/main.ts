import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { redisKeys } from '@rankstream/schemas';
import {
  clusterMetricsText,
  createLogger,
  createMetricsRegistry,
  createPool,
  createRedis,
  exitOnStartupFailure,
  listen,
  migrate,
  onShutdown,
  redisReady,
  runPrimary,
} from '@rankstream/schemas/runtime';
import { LRUCache } from 'lru-cache';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { createApp, feedHubOf } from './app.js';
import { parseQueryConfig } from './config.js';
import type { AppDeps } from './deps.js';
import { BoardCalendars } from './domain/board-calendars.js';
import { createSocketUpgrade } from './live/socket-upgrade.js';
import { clientAddressResolver } from './middleware/client-address.js';
import { createRateLimiter } from './middleware/rate-limit.js';
import { BREAKER_GAUGE, createQueryMetrics } from './query-metrics.js';
import { createBoardSchedules } from './readers/board-schedules.js';
import { FallbackReader } from './readers/fallback.js';
import { createPostgresReader } from './readers/postgres-reader.js';
import { ProjectionStateCache } from './readers/projection-state.js';
import { createRedisReader } from './readers/redis-reader.js';

/** How soon a new season or a reset is seen by reads (board-schedules.ts). */
const SCHEDULE_REFRESH_MS = 1000;
const config = parseQueryConfig(process.env);
const logger = createLogger('query-api', config.LOG_LEVEL);

async function start() {
  const registry = createMetricsRegistry('query-api');
  // A worker answers the primary's metrics requests from the start, not only once it listens.
  const metricsText = cluster.isWorker ? clusterMetricsText(registry) : undefined;
  // In cluster mode the primary has migrated before forking.
  if (!cluster.isWorker) await migrate(config.DATABASE_URL, logger);
  // The reads are short, index-driven statements, prepared once per connection: a generic plan
  // spares the planning on every request (it cost as much as the execution), and JIT compilation,
  // which a rough row estimate can trigger, only ever added hundreds of milliseconds to them.
  const pool = createPool(config.DATABASE_URL, config.PG_POOL_SIZE, logger, {
    plan_cache_mode: 'force_generic_plan',
    jit: 'off',
  });
  const redis = createRedis(config, logger, { autoPipelining: true });
  const metrics = createQueryMetrics(registry);
  const schedules = createBoardSchedules(pool, { refreshMs: SCHEDULE_REFRESH_MS, logger });
  await schedules.start();
  const states = new ProjectionStateCache(() => redisReader.snapshot(), logger);
  const redisReader = createRedisReader(redis, config.REDIS_PREFIX, states, schedules);
  states.start({
    subscriber: createRedis(config, logger, { subscriber: true }),
    channel: redisKeys(config.REDIS_PREFIX).changes,
    pollMs: config.QUERY_STATE_POLL_MS,
  });
  const reader = new FallbackReader(
    redisReader,
    createPostgresReader(pool, config.EVENTS_TOPIC),
    {
      redisDeadlineMs: config.REDIS_DEADLINE_MS,
      maxRedisLagMs: config.MAX_REDIS_LAG_MS,
      breakerErrorPercent: config.REDIS_BREAKER_ERROR_PERCENT,
      breakerMinCalls: config.REDIS_BREAKER_MIN_CALLS,
      breakerResetMs: config.REDIS_BREAKER_RESET_MS,
      onFallback: (reason) => metrics.fallbacks.inc({ reason }),
      onBreakerState: (state) => metrics.breakerState.set(BREAKER_GAUGE[state]),
    },
    logger,
  );
  reader.startMonitor(config.REDIS_LAG_CHECK_MS);
  const deps: AppDeps = {
    reader,
    config,
    logger,
    registry,
    metrics,
    // Ready when PostgreSQL answers: it can serve everything alone while Redis is away.
    readiness: { postgres: () => pool.query('SELECT 1') },
    clientAddress: clientAddressResolver(config.TRUST_FORWARDED_FOR),
    rateLimiter: createRateLimiter(
      config.QUERY_RATE_LIMIT_PER_S,
      cluster.isWorker,
      config.QUERY_RATE_LIMIT_SCOPE === 'shared'
        ? { redis, keyPrefix: redisKeys(config.REDIS_PREFIX).rateLimit('query-api') }
        : undefined,
    ),
    ...(metricsText ? { metricsText } : {}),
    states,
    ...(config.QUERY_CACHE_ENTRIES > 0 ? { answerCache: new LRUCache({ max: config.QUERY_CACHE_ENTRIES }) } : {}),
    dashboardDir: fileURLToPath(new URL('./dashboard/', import.meta.url)),
    calendars: new BoardCalendars(),
    schedules,
    now: Date.now,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  const feeds = feedHubOf(deps);
  const sockets = createSocketUpgrade({
    hub: feeds,
    logger,
    onOpen: (kind) => metrics.sockets.inc({ kind }),
    onClose: (kind) => metrics.sockets.dec({ kind }),
  });
  const app = createApp({ ...deps, feeds, sockets });
  // PostgreSQL answers whatever Redis cannot, but the first reads should not all go there while the
  // connection (on a cluster: the slot map) is still being made: give it a moment before listening.
  if (await redisReady(redis, 2_000)) await states.refresh();
  const server = await listen(app, config.QUERY_PORT, undefined, (node) => sockets.install(node, app));
  logger.info({ port: server.port }, 'query API listening');
  onShutdown(logger, () => [
    // SSE streams end and sockets close (1001, going away), so clients reconnect elsewhere.
    {
      name: 'live feeds',
      run: async () => {
        sockets.stop();
        feeds.stop();
      },
    },
    { name: 'http', run: () => server.close() },
    { name: 'fallback monitor', run: async () => reader.stop() },
    { name: 'board schedules', run: async () => schedules.stop() },
    { name: 'projection state', run: async () => states.stop() },
    { name: 'redis', run: () => redis.quit() },
    { name: 'postgres', run: () => pool.end() },
  ]);
}

if (config.QUERY_WORKERS > 1 && cluster.isPrimary) {
  migrate(config.DATABASE_URL, logger)
    .then(() => {
      // Constructing it makes the primary keep the workers' per-address rate limit counts.
      new RateLimiterClusterMaster();
      runPrimary({ workers: config.QUERY_WORKERS, logger, name: 'query' });
    })
    .catch(exitOnStartupFailure(logger));
} else {
  start().catch(exitOnStartupFailure(logger));
}
