import { once } from 'node:events';
import { createEventCodec } from '@rankstream/schemas';
import {
  createKafka,
  createLogger,
  createMetricsRegistry,
  createPool,
  createRedis,
  ensureTopics,
  exitOnStartupFailure,
  listen,
  migrate,
  onShutdown,
  withTimeout,
} from '@rankstream/schemas/runtime';
import { Partitioners } from 'kafkajs';
import { createDeadLetterPublisher } from './adapters/kafka-dead-letters.js';
import { createPostgresStore } from './adapters/postgres-store.js';
import { createRedisStore } from './adapters/redis-store.js';
import { createRegistryProbe } from './adapters/registry-probe.js';
import { createApp } from './app.js';
import { createBatchProcessor } from './batch-processor.js';
import { loadConfig } from './config.js';
import { type ProjectorConsumer, startConsumer } from './consumer.js';
import { createEventLedger } from './event-ledger.js';
import { startHeartbeat } from './heartbeat.js';
import { createLogEnds } from './log-ends.js';
import { createProjectorMetrics } from './projector-metrics.js';
import { createRedisSync } from './redis-sync.js';
import { createTotalsCache } from './totals-cache.js';

const config = loadConfig(process.env);
const logger = createLogger('score-projector', config.LOG_LEVEL);

async function main(): Promise<void> {
  await migrate(config.DATABASE_URL, logger);
  // A batch joins up to tens of thousands of keys against totals; knowing the array's size, the
  // planner took a hash join over a scan of the whole table (measured: load 40 % slower, and the
  // compare-and-set UPDATE 30 % slower at 350k totals, worse as the table grows). Every projector
  // statement is a key lookup, so index nested loops are always right; and JIT, which those row
  // counts would trigger, only adds compile time to them.
  const pool = createPool(config.DATABASE_URL, config.PG_POOL_SIZE, logger, {
    enable_hashjoin: 'off',
    enable_mergejoin: 'off',
    jit: 'off',
  });
  const redisClient = createRedis(config, logger, { commandTimeoutMs: 10_000 });
  // Commands fail fast while disconnected (no offline queue): give the connection a moment, but a
  // Redis that is down must not stop PostgreSQL from advancing.
  if (redisClient.status !== 'ready') await withTimeout(once(redisClient, 'ready'), 5_000).catch(() => {});
  const kafka = createKafka(config, 'score-projector', logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, {
    eventsTopic: config.EVENTS_TOPIC,
    dlqTopic: config.dlqTopic,
    partitions: config.EVENTS_PARTITIONS,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  const registry = createMetricsRegistry('score-projector');
  const metrics = createProjectorMetrics(registry);
  const postgres = createPostgresStore(pool, config.EVENTS_TOPIC);
  const redis = createRedisStore(redisClient, config.REDIS_PREFIX, {
    topK: config.REDIS_TOP_K,
    keepPeriods: config.REDIS_KEEP_PERIODS,
  });
  const codec = createEventCodec({ registryUrl: config.SCHEMA_REGISTRY_URL, topic: config.EVENTS_TOPIC });

  let consumer: ProjectorConsumer | undefined;
  const assignedPartitions = () => consumer?.assignedPartitions();
  const topicOffsets = () => admin.fetchTopicOffsets(config.EVENTS_TOPIC);
  const redisSync = createRedisSync({
    postgres,
    redis,
    metrics,
    logger,
    intervalMs: config.REDIS_CHECK_INTERVAL_MS,
    assignedPartitions,
  });
  const totalsCache = createTotalsCache(config.PROJECTOR_TOTALS_CACHE_ENTRIES);
  const topicPartitions = (await admin.fetchTopicMetadata({ topics: [config.EVENTS_TOPIC] })).topics[0]?.partitions;
  const ledger = createEventLedger({
    shards: await postgres.ledgerShards(topicPartitions?.length ?? config.EVENTS_PARTITIONS),
    windowSeconds: config.DEDUP_WINDOW,
  });
  const logEnds = createLogEnds();
  const processor = createBatchProcessor({
    codec,
    registry: createRegistryProbe(config.SCHEMA_REGISTRY_URL, config.EVENTS_TOPIC),
    store: postgres,
    redis,
    redisState: redisSync.state,
    deadLetters: createDeadLetterPublisher(producer, config.dlqTopic),
    totalsCache,
    ledger,
    logEnds,
    async logOffsets(partition) {
      const offsets = (await topicOffsets()).find((o) => o.partition === partition);
      // A partition missing from the answer (stale metadata) must not read as an empty log.
      if (!offsets) throw new Error(`Kafka did not report the offsets of partition ${partition}`);
      return { start: Number(offsets.low), end: Number(offsets.high) };
    },
    metrics,
    logger,
  });

  const app = createApp({
    logger,
    registry,
    checks: {
      postgres: () => pool.query('SELECT 1'),
      redis: () => redisClient.ping(),
      kafka: () => admin.describeCluster(),
    },
  });
  const server = await listen(app, config.PROJECTOR_PORT);

  // Redis is checked (and rebuilt if needed) before the first batch, then every couple of seconds.
  await redisSync.start();
  consumer = await startConsumer({
    kafka,
    topic: config.EVENTS_TOPIC,
    groupId: config.PROJECTOR_GROUP_ID,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    maxBytesPerPartition: config.PROJECTOR_MAX_BYTES_PER_PARTITION,
    concurrency: config.PROJECTOR_CONCURRENCY,
    retries: config.PROJECTOR_BATCH_RETRIES,
    processor,
    postgres,
    logger,
    onAssigned(partitions) {
      totalsCache.retainOnly(partitions);
      ledger.retainOnly(partitions);
      // What was recorded under an earlier ownership may describe a log replaced since.
      for (const p of partitions) logEnds.restart(p);
      redisSync.partitionsAssigned();
      metrics.consumerLag.reset();
      metrics.projectionLag.reset();
    },
    onFatal(error) {
      logger.fatal({ err: error }, 'consumer stopped for good: exiting so that the supervisor restarts us');
      process.exit(1);
    },
  });
  const heartbeat = startHeartbeat({
    postgres,
    redis,
    metrics,
    logEnds,
    logger,
    intervalMs: config.HEARTBEAT_INTERVAL_MS,
    assignedPartitions,
    async logEndOffsets() {
      return new Map((await topicOffsets()).map((o) => [o.partition, Number(o.high)]));
    },
  });
  logger.info({ port: server.port, topic: config.EVENTS_TOPIC, group: config.PROJECTOR_GROUP_ID }, 'projecting');

  onShutdown(logger, () => [
    { name: 'consumer', run: () => consumer?.stop() ?? Promise.resolve() },
    { name: 'heartbeat', run: () => heartbeat.stop() },
    { name: 'redis sync', run: () => redisSync.stop() },
    { name: 'http', run: () => server.close() },
    { name: 'producer', run: () => producer.disconnect() },
    { name: 'admin', run: () => admin.disconnect() },
    { name: 'postgres', run: () => pool.end() },
    { name: 'redis', run: () => redisClient.quit() },
  ]);
}

main().catch(exitOnStartupFailure(logger));
