export * from './cluster-probes.js';
export * from './keep-alive-client.js';
export * from './rank-aids.js';
export * from './redis-cluster.js';
export * from './service-process.js';
export * from './test-env.js';
export * from './throwaway-kafka.js';
