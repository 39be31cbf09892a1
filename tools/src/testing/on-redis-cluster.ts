import { afterAll, inject } from 'vitest';
import type {} from './redis-cluster-global-setup.js';

// Setup file of the `redis-cluster` project: the same suites, with REDIS_URL on the private cluster
// (redis-cluster-global-setup.ts), for the test file and the services it starts.
const standalone = process.env.REDIS_URL;
process.env.REDIS_URL = inject('redisClusterUrl');
afterAll(() => {
  if (standalone === undefined) delete process.env.REDIS_URL;
  else process.env.REDIS_URL = standalone;
});
