export * from './compose-check.js';
export * from './dockerfile-check.js';
export * from './env-coverage.js';
export * from './kubernetes-check.js';
