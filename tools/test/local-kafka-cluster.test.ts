import { resolve } from 'node:path';
import { createLogger, ensureTopics } from '@rankstream/schemas/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpStack, type StackHandle } from '../src/stack/local-stack.js';
import { loadStackConfig } from '../src/stack/stack-config.js';
import { baseServiceUrls, defaultKafkaJarsDir, testKafka } from '../src/testing/index.js';

/**
 * `LOCAL_KAFKA_BROKERS=3` as `npm start` would run it: the local stack's own three-node KRaft cluster
 * (on ports of its own, beside the stack the tests use), and the topics the services create on it
 * replicated three times with min.insync.replicas 2.
 */
describe('the local stack with LOCAL_KAFKA_BROKERS=3', () => {
  let stack: StackHandle | undefined;
  beforeAll(async () => {
    const urls = baseServiceUrls();
    const cfg = loadStackConfig({
      // Where the jars already are: the cluster's nodes live beside them, in kafka-cluster-3/.
      STACK_DIR: resolve(defaultKafkaJarsDir(), '..', '..'),
      LOCAL_KAFKA_BROKERS: '3',
      LOCAL_KAFKA_PORT: '19492',
      LOCAL_KAFKA_CONTROLLER_PORT: '19493',
      LOCAL_KAFKA_HEAP: '256m',
      SCHEMA_REGISTRY_URL: urls.registryUrl,
      DATABASE_URL: urls.postgresBaseUrl,
      REDIS_URL: urls.redisUrl,
    });
    stack = await bringUpStack(cfg, createLogger('local-kafka-cluster', 'warn'));
  }, 240_000);
  afterAll(async () => stack?.stop(), 120_000);

  it('runs three brokers, and the services topics get three replicas and min.insync.replicas 2', async () => {
    const brokers = stack!.urls.kafkaBrokers.split(',');
    expect(brokers).toEqual(['127.0.0.1:19492', '127.0.0.1:19494', '127.0.0.1:19496']);
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      // Each broker's view of the cluster catches up on its own; the client asks one at random.
      const nodes = async () => (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort();
      await expect.poll(nodes, { timeout: 20_000 }).toEqual([1, 2, 3]);
      const topic = `cluster-check-${Date.now()}`;
      await ensureTopics(admin, { eventsTopic: topic, dlqTopic: `${topic}-dlq`, partitions: 3 });
      // A broker may not have heard of the new topic yet: each question is asked until one answers.
      const answered = async <T>(ask: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await ask();
        } catch {
          return undefined;
        }
      };
      const replicas = async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]?.partitions.map((p) => p.replicas.length);
      };
      await expect.poll(() => answered(replicas), { timeout: 20_000 }).toEqual([3, 3, 3]);
      const minInsync = async () => {
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
        });
        return described.resources[0]?.configEntries[0]?.configValue;
      };
      await expect.poll(() => answered(minInsync), { timeout: 20_000 }).toBe('2');
      await admin.deleteTopics({ topics: [topic, `${topic}-dlq`] }).catch(() => {});
    } finally {
      await admin.disconnect();
    }
  });
});
