import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { createEventCodec, createEventProducer, redisKeys } from '@rankstream/schemas';
import {
  clusterMetricsText,
  createKafka,
  createLogger,
  createMetricsRegistry,
  createPool,
  createRedis,
  dlqTopic,
  ensureTopics,
  exitOnStartupFailure,
  type Logger,
  listen,
  migrate,
  onShutdown,
  runPrimary,
} from '@rankstream/schemas/runtime';
import { Partitioners } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { createCachedBoardStore } from './adapters/cached-board-store.js';
import { loadOrCreateDevKey } from './adapters/dev-key-file.js';
import { createKafkaLogStatus } from './adapters/kafka-log-status.js';
import { createKafkaPublisher } from './adapters/kafka-publisher.js';
import { createPostgresAuditLog } from './adapters/postgres-audit-log.js';
import { createPostgresBanList } from './adapters/postgres-ban-list.js';
import { createPostgresBoardStore } from './adapters/postgres-board-store.js';
import { createPostgresProfileStore } from './adapters/postgres-profile-store.js';
import { createPostgresUserKeys } from './adapters/postgres-user-keys.js';
import { createRedisRateLimiter } from './adapters/redis-rate-limiter.js';
import { createRenewingProducer } from './adapters/renewing-producer.js';
import { type AppDeps, createApp } from './app.js';
import { parseApiKeys, sha256Hex } from './auth/api-keys.js';
import { type IngestConfig, loadConfig } from './config.js';
import { createPlayerMinuteCounter } from './domain/player-minute-counter.js';
import { createIngestMetrics } from './metrics.js';
import { answerWorkerTakes, createRateLimiter, createWorkerRateLimiter } from './rate-limiter.js';
import { sendBoardEvent } from './routes/board-schedule.js';

const DEFAULT_DEV_KEY_FILE = fileURLToPath(new URL('../../.stack/dev-api-key', import.meta.url));

/** The configured keys, or a development key kept in a file (generated, and printed once, if missing). */
async function resolveApiKeys(config: IngestConfig, logger: Logger) {
  let apiKeysText = config.API_KEYS;
  if (!apiKeysText) {
    const file = config.DEV_API_KEY_FILE ?? DEFAULT_DEV_KEY_FILE;
    const dev = await loadOrCreateDevKey(file);
    if (dev.created) {
      // Printed once, on stdout and outside the JSON log, so it never lands in a log pipeline twice.
      process.stdout.write(
        `\nAPI_KEYS is unset: generated a development key (ingest+admin), kept in ${file}:\n\n  ${dev.key}\n\n`,
      );
    }
    logger.warn({ file }, 'API_KEYS is unset: using the development key from the file (set API_KEYS in production)');
    apiKeysText = `dev:${sha256Hex(dev.key)}:ingest+admin`;
  }
  return parseApiKeys(apiKeysText);
}

/** How often board changes recorded but not yet logged are sent again (routes/board-schedule.ts). */
const PENDING_BOARD_CHANGES_MS = 5_000;
const config = loadConfig(process.env);
const logger = createLogger('ingest-api', config.LOG_LEVEL);

async function main() {
  const apiKeys = await resolveApiKeys(config, logger);
  const metricsRegistry = createMetricsRegistry('ingest-api');
  const metricsText = cluster.isWorker ? clusterMetricsText(metricsRegistry) : undefined;
  // In cluster mode the primary has migrated before forking.
  if (!cluster.isWorker) await migrate(config.DATABASE_URL, logger);
  const pool = createPool(config.DATABASE_URL, config.PG_POOL_SIZE, logger);

  const kafka = createKafka(config, 'rankstream-ingest-api', logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, {
    eventsTopic: config.EVENTS_TOPIC,
    dlqTopic: dlqTopic(config),
    partitions: config.EVENTS_PARTITIONS,
  });
  const codec = createEventCodec({ registryUrl: config.SCHEMA_REGISTRY_URL, topic: config.EVENTS_TOPIC });
  await codec.register();
  // Idempotent: the broker drops the duplicates kafkajs' own retries would write; that needs acks=all
  // (the helper sends with acks -1) and one request in flight per connection to keep order. More would
  // not help anyway: kafkajs' idempotent producer holds a per-broker lock for each whole produce round
  // trip whatever maxInFlightRequests says (eosManager.acquireBrokerLock), and rolls sequence numbers
  // back on a failed request, which is only sound with one in flight. Throughput comes from coalescing
  // concurrent requests into one send instead (adapters/kafka-publisher.ts).
  // The helper picks each message's partition itself (Java murmur2); the partitioner option only silences kafkajs.
  const producer = createRenewingProducer({
    create: () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    stuckAfterMs: config.PRODUCE_DEADLINE_MS,
    logger,
  });
  const eventProducer = createEventProducer({
    producer,
    admin,
    codec,
    topic: config.EVENTS_TOPIC,
    ackTimeoutMs: config.KAFKA_ACK_TIMEOUT_MS,
  });

  const now = () => Date.now();
  const ownRates = cluster.isWorker
    ? createWorkerRateLimiter()
    : createRateLimiter({ ratePerS: config.RATE_LIMIT_EVENTS_PER_S, now });
  const redis = config.RATE_LIMIT_SCOPE === 'shared' ? createRedis(config, logger) : undefined;
  const deps: AppDeps = {
    publisher: createKafkaPublisher({ producer: eventProducer, deadlineMs: config.PRODUCE_DEADLINE_MS, logger }),
    boards: createCachedBoardStore(createPostgresBoardStore(pool), { ttlMs: config.BOARD_CACHE_TTL_MS, now }),
    profiles: createPostgresProfileStore(pool),
    bans: createPostgresBanList(pool, { refreshMs: 1_000, now, logger }),
    userKeys: createPostgresUserKeys(pool, { ttlMs: 60_000, maxEntries: 100_000, now }),
    audit: createPostgresAuditLog(pool),
    apiKeys,
    rateLimiter: redis
      ? createRedisRateLimiter({
          redis,
          keyPrefix: redisKeys(config.REDIS_PREFIX).rateLimit('ingest-api'),
          ratePerS: config.RATE_LIMIT_EVENTS_PER_S,
          fallback: ownRates,
        })
      : ownRates,
    playerMinutes: createPlayerMinuteCounter(),
    now,
    newId: () => uuidv7(),
    topic: config.EVENTS_TOPIC,
    limits: {
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxClockSkewMs: config.maxClockSkewMs,
      strictBoards: config.STRICT_BOARDS,
      unavailableRetryAfterS: Math.max(1, Math.ceil(config.PRODUCE_DEADLINE_MS / 1000)),
    },
    metrics: createIngestMetrics(metricsRegistry),
    metricsRegistry,
    metricsText,
    logger,
    corsOrigins: config.CORS_ORIGINS,
    logStatus: createKafkaLogStatus({
      admin,
      eventsTopic: config.EVENTS_TOPIC,
      dlqTopic: dlqTopic(config),
      maxAgeMs: 1_000,
      timeoutMs: 1_000,
      now,
    }),
    readiness: {
      postgres: () => pool.query('SELECT 1'),
      kafka: () => admin.fetchTopicMetadata({ topics: [config.EVENTS_TOPIC] }),
    },
  };
  const app = createApp(deps);
  // Board events whose sending a crash or an outage cut short are sent again (the outbox's tail).
  const sendPending = () =>
    deps.boards
      .sendPending(sendBoardEvent(deps))
      .then((sent) => sent > 0 && logger.info({ sent }, 'pending board changes logged'))
      .catch((err: Error) => logger.warn({ err: err.message }, 'pending board changes not logged yet'));
  const pendingTimer = setInterval(sendPending, PENDING_BOARD_CHANGES_MS);
  pendingTimer.unref();

  const server = await listen(app, config.INGEST_PORT);
  logger.info(
    { port: server.port, topic: config.EVENTS_TOPIC, keys: apiKeys.map((k) => k.name) },
    'ingest API listening',
  );

  onShutdown(logger, () => [
    { name: 'http', run: () => server.close() },
    { name: 'pending board changes', run: async () => clearInterval(pendingTimer) },
    { name: 'producer', run: () => producer.disconnect() },
    { name: 'admin', run: () => admin.disconnect() },
    { name: 'postgres', run: () => pool.end() },
    ...(redis ? [{ name: 'redis', run: () => redis.quit() }] : []),
  ]);
}

if (config.INGEST_WORKERS > 1 && cluster.isPrimary) {
  (async () => {
    // Before forking: the dev key file is created (and printed) once, and the schema migrated once.
    await resolveApiKeys(config, logger);
    await migrate(config.DATABASE_URL, logger);
    const rates = createRateLimiter({ ratePerS: config.RATE_LIMIT_EVENTS_PER_S, now: () => Date.now() });
    runPrimary({ workers: config.INGEST_WORKERS, logger, name: 'ingest', onWorkerMessage: answerWorkerTakes(rates) });
  })().catch(exitOnStartupFailure(logger));
} else {
  main().catch(exitOnStartupFailure(logger));
}
