export * from './service-process.js';
export * from './test-env.js';
export * from './throwaway-kafka.js';
