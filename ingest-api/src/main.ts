import { fileURLToPath } from 'node:url';
import { createEventCodec, createEventProducer } from '@rankstream/schemas';
import {
  createKafka,
  createLogger,
  createMetricsRegistry,
  createPool,
  dlqTopic,
  ensureTopics,
  exitOnStartupFailure,
  listen,
  migrate,
  onShutdown,
} from '@rankstream/schemas/runtime';
import { Partitioners } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { createCachedBoardStore } from './adapters/cached-board-store.js';
import { loadOrCreateDevKey } from './adapters/dev-key-file.js';
import { createKafkaPublisher } from './adapters/kafka-publisher.js';
import { createPostgresBoardStore } from './adapters/postgres-board-store.js';
import { createPostgresProfileStore } from './adapters/postgres-profile-store.js';
import { createRenewingProducer } from './adapters/renewing-producer.js';
import { createApp } from './app.js';
import { parseApiKeys, sha256Hex } from './auth/api-keys.js';
import { loadConfig } from './config.js';
import { createIngestMetrics } from './metrics.js';
import { createRateLimiter } from './rate-limiter.js';

const DEFAULT_DEV_KEY_FILE = fileURLToPath(new URL('../../.stack/dev-api-key', import.meta.url));

async function main() {
  const config = loadConfig(process.env);
  const logger = createLogger('ingest-api', config.LOG_LEVEL);

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
  const apiKeys = parseApiKeys(apiKeysText);

  await migrate(config.DATABASE_URL, logger);
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

  const metricsRegistry = createMetricsRegistry('ingest-api');
  const now = () => Date.now();
  const app = createApp({
    publisher: createKafkaPublisher({ producer: eventProducer, deadlineMs: config.PRODUCE_DEADLINE_MS, logger }),
    boards: createCachedBoardStore(createPostgresBoardStore(pool), { ttlMs: config.BOARD_CACHE_TTL_MS, now }),
    profiles: createPostgresProfileStore(pool),
    apiKeys,
    rateLimiter: createRateLimiter({ ratePerS: config.RATE_LIMIT_EVENTS_PER_S, now }),
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
    logger,
    readiness: {
      postgres: () => pool.query('SELECT 1'),
      kafka: () => admin.fetchTopicMetadata({ topics: [config.EVENTS_TOPIC] }),
    },
  });

  const server = await listen(app, config.INGEST_PORT);
  logger.info(
    { port: server.port, topic: config.EVENTS_TOPIC, keys: apiKeys.map((k) => k.name) },
    'ingest API listening',
  );

  onShutdown(logger, () => [
    { name: 'http', run: () => server.close() },
    { name: 'producer', run: () => producer.disconnect() },
    { name: 'admin', run: () => admin.disconnect() },
    { name: 'postgres', run: () => pool.end() },
  ]);
}

main().catch((error) => exitOnStartupFailure(createLogger('ingest-api', 'info'))(error));
