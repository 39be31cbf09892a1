import type { TestProject } from 'vitest/node';
import { startRedisCluster } from './redis-cluster.js';

declare module 'vitest' {
  interface ProvidedContext {
    redisClusterUrl: string;
  }
}

/** Vitest globalSetup of the `redis-cluster` project: one private cluster for its suites (on-redis-cluster.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startRedisCluster();
  project.provide('redisClusterUrl', cluster.url);
  return () => cluster.destroy();
}
