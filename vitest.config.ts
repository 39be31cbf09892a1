import { defineConfig } from 'vitest/config';

const project = (name: string, timeoutMs: number, root = `./${name}`) => ({
  test: {
    name,
    root,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: timeoutMs,
    hookTimeout: 120_000,
  },
});

/**
 * The projection and query suites that also run on a Redis Cluster: a private one of three masters
 * (tools/src/testing/redis-cluster.ts), REDIS_URL pointing at it. Suites that cut Redis with a TCP
 * proxy (outages, fallback) stay on the standalone server; redis-cluster-restart.test.ts restarts a
 * master of a cluster of its own. Left on the standalone server too, as their Redis use is the same
 * as a listed suite's and they would add minutes: the WebSocket, status and worker-mode suites (the
 * feeds' pub/sub is cluster-tested by stream.test.ts), log-restarted, replay --redis-only (a rebuild,
 * which redis-flush runs on the cluster), and the many-instance and broker-kill suites (their subject
 * is Kafka and the process group).
 */
const clusterSuites = {
  test: {
    name: 'redis-cluster',
    root: '.',
    include: [
      'score-projector/test/{exactly-once,redis-flush,cross-partition,rebalance,redis-state-version,batch-processor,redis-top-k,redis-top-k-store,moderation}.test.ts',
      'query-api/test/{endpoints,same-answers.property,cached-answers.property,answer-cache,stream,service,shared-rate-limit}.test.ts',
    ],
    globalSetup: ['tools/src/testing/redis-cluster-global-setup.ts'],
    setupFiles: ['tools/src/testing/on-redis-cluster.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
};

// The real services (Kafka, registry, PostgreSQL, Redis) are made sure of by tools/stack/with-stack
// before vitest starts; each test file builds its own isolated world with createTestEnv().
export default defineConfig({
  test: {
    projects: [
      project('schemas', 60_000),
      project('ingest-api', 120_000),
      project('score-projector', 600_000),
      project('query-api', 300_000),
      // The dashboard's unit tests and its browser tests (headless Chromium against the real stack).
      project('dashboard', 300_000, './query-api/dashboard'),
      project('tools', 120_000),
      clusterSuites,
    ],
  },
});
