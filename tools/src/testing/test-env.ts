import { randomBytes } from 'node:crypto';
import { redisKeys } from '@rankstream/schemas';
import {
  Cluster,
  createLogger,
  ensureTopics,
  migrate,
  parseRedisUrl,
  type Redis,
  scanKeys,
} from '@rankstream/schemas/runtime';
import { Redis as Server } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/**
 * An isolated world for one integration test file: its own database, Redis key prefix and topics on
 * the shared real services, so tests never disturb each other or a running dev stack.
 */
export interface TestEnv {
  id: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  kafkaBrokers: string[];
  registryUrl: string;
  eventsTopic: string;
  dlqTopic: string;
  partitions: number;
  /** The env a service process needs to run inside this world. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const silent = createLogger('test-env', 'silent');

export function baseServiceUrls() {
  return {
    kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    registryUrl: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8181/apis/ccompat/v7',
    postgresBaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

export function testKafka(brokers = baseServiceUrls().kafkaBrokers): Kafka {
  return new Kafka({ clientId: 'rankstream-test', brokers, logLevel: logLevel.NOTHING });
}

export async function createTestEnv(
  options: {
    partitions?: number;
    name?: string;
    producerTimestamps?: boolean;
    /** A private Kafka (a throwaway cluster) instead of the shared one. */
    kafkaBrokers?: string[];
    /** A private Redis (a local cluster) instead of the shared one. */
    redisUrl?: string;
  } = {},
): Promise<TestEnv> {
  const base = {
    ...baseServiceUrls(),
    ...(options.kafkaBrokers ? { kafkaBrokers: options.kafkaBrokers } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
  };
  const id = `${options.name ?? 't'}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const partitions = options.partitions ?? 3;

  const dbUrl = new URL(base.postgresBaseUrl);
  dbUrl.pathname = `/rs_test_${id}`;
  const databaseUrl = dbUrl.toString();
  await migrate(databaseUrl, silent);

  const eventsTopic = `test-${id}-events`;
  const dlqTopic = `test-${id}-dlq`;
  const admin = testKafka(base.kafkaBrokers).admin();
  try {
    await admin.connect();
    await ensureTopics(admin, { eventsTopic, dlqTopic, partitions, producerTimestamps: options.producerTimestamps });
  } catch (error) {
    // No cleanup() reaches a caller whose environment failed to start: the database goes now.
    await dropDatabase(base.postgresBaseUrl, `rs_test_${id}`).catch(() => {});
    throw error;
  } finally {
    await admin.disconnect();
  }

  const redisPrefix = `test:${id}:`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: base.redisUrl,
    REDIS_PREFIX: redisPrefix,
    KAFKA_BROKERS: base.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: base.registryUrl,
    EVENTS_TOPIC: eventsTopic,
    DLQ_TOPIC: dlqTopic,
    EVENTS_PARTITIONS: String(partitions),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  };

  return {
    id,
    databaseUrl,
    redisUrl: base.redisUrl,
    redisPrefix,
    kafkaBrokers: base.kafkaBrokers,
    registryUrl: base.registryUrl,
    eventsTopic,
    dlqTopic,
    partitions,
    env,
    async cleanup() {
      await dropDatabase(base.postgresBaseUrl, `rs_test_${id}`).catch(() => {});
      await deleteRedisPrefix(base.redisUrl, redisPrefix).catch(() => {});
      const a = testKafka(base.kafkaBrokers).admin();
      await a.connect();
      await a.deleteTopics({ topics: [eventsTopic, dlqTopic] }).catch(() => {});
      await a.disconnect();
    },
  };
}

async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * A test's own connection to the Redis of REDIS_URL: a standalone server or a Redis Cluster (the
 * same suites run on both). Commands wait for the connection, unlike the services' fail-fast one.
 */
export function connectTestRedis(redisUrl = baseServiceUrls().redisUrl): Redis {
  const endpoint = parseRedisUrl(redisUrl);
  if (typeof endpoint === 'string') throw new Error(`REDIS_URL ${endpoint}`);
  const redis = endpoint.cluster ? new Cluster(endpoint.nodes) : new Server(redisUrl);
  // A test that stops Redis on purpose checks what the services do; its own client's complaints are noise.
  redis.on('error', () => {});
  return redis;
}

/**
 * Deletes every key under a prefix, one key per command so that it works on a cluster too. The keys
 * that say a projection is there (ready, layout, the slots' epoch markers) go last, as a flush drops
 * everything at once: a projector that saw them gone first would rebuild instances this deletion
 * then tears in half (a sorted set deleted after the rebuild filled it, its member index not).
 */
export async function deletePrefixedKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = redisKeys(prefix);
  const isMark = (key: string) => key === keys.ready || key === keys.layout || key.endsWith('}epoch');
  const marks: string[] = [];
  for await (const page of scanKeys(redis, `${prefix}*`)) {
    marks.push(...page.filter(isMark));
    await Promise.all(page.filter((key) => !isMark(key)).map((key) => redis.unlink(key)));
  }
  await Promise.all(marks.map((key) => redis.unlink(key)));
}

export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = connectTestRedis(redisUrl);
  try {
    await deletePrefixedKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
