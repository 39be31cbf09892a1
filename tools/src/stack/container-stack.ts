import type { Logger } from '@rankstream/schemas/runtime';
import type { StackUrls } from './local-stack.js';
import { setGlobalCompatibility } from './schema-registry.js';

/**
 * The same four services as containers (testcontainers), for machines with Docker and nothing
 * configured. NOT exercised on the build machine (no Docker there): kept deliberately thin, and
 * the images match the local stack's versions.
 */
export const IMAGES = {
  // Confluent Platform 7.9 ships Apache Kafka 3.9, the line the local stack uses (tools/README.md).
  kafka: 'confluentinc/cp-kafka:7.9.1',
  registry: 'apicurio/apicurio-registry:3.0.9',
  postgres: 'postgres:15',
  redis: 'redis:7',
};

export async function startContainerStack(
  logger: Logger,
  compatibility: string,
): Promise<{ urls: StackUrls; testDatabaseUrl: string; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  logger.info(IMAGES, 'Docker answers and no service is configured: starting the stack in containers');

  const [kafka, registry, postgres, redis] = await Promise.all([
    new KafkaContainer(IMAGES.kafka).withKraft().start(),
    new GenericContainer(IMAGES.registry)
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/health/ready', 8080).forStatusCode(200))
      .start(),
    new PostgreSqlContainer(IMAGES.postgres).withUsername('postgres').withDatabase('postgres').start(),
    new RedisContainer(IMAGES.redis).start(),
  ]);
  const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  await setGlobalCompatibility(registryUrl, compatibility, logger);
  const pgBase = `postgres://postgres:${postgres.getPassword()}@${postgres.getHost()}:${postgres.getPort()}`;
  return {
    urls: {
      kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      registryUrl,
      databaseUrl: `${pgBase}/leaderboard`,
      redisUrl: redis.getConnectionUrl(),
    },
    testDatabaseUrl: `${pgBase}/postgres`,
    async stop() {
      await Promise.all([kafka.stop(), registry.stop(), postgres.stop(), redis.stop()]);
    },
  };
}
