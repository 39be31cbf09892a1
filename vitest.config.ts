import { defineConfig } from 'vitest/config';

const project = (name: string, timeoutMs: number) => ({
  test: {
    name,
    root: `./${name}`,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: timeoutMs,
    hookTimeout: 120_000,
  },
});

// The real services (Kafka, registry, PostgreSQL, Redis) are made sure of by tools/stack/with-stack
// before vitest starts; each test file builds its own isolated world with createTestEnv().
export default defineConfig({
  test: {
    projects: [
      project('schemas', 60_000),
      project('ingest-api', 120_000),
      project('score-projector', 600_000),
      project('query-api', 300_000),
      project('tools', 120_000),
    ],
  },
});
