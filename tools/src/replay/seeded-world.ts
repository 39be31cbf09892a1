import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { DEFAULT_SEED_BOARDS, loadSeedEnv, type SeedResult, seed } from '../seed/seed.js';
import { parseBoards } from '../seed/seed-stream.js';
import { createTestEnv, type TestEnv, testKafka } from '../testing/index.js';

/** An isolated world on the running services with a seeded backlog, and clients to watch it. */
export interface SeededWorld {
  env: TestEnv;
  db: pg.Pool;
  redis: Redis;
  admin: Admin;
  seeded: SeedResult;
}

/**
 * Creates the world (its own topic, database and Redis prefix), seeds `events` score events of
 * `users` users through the registry, runs `work`, and removes the world whatever happens.
 */
export async function withSeededWorld<T>(
  o: { name: string; partitions: number; events: number; users: number; boards?: string },
  work: (world: SeededWorld) => Promise<T>,
): Promise<T> {
  const env = await createTestEnv({ name: o.name, partitions: o.partitions });
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  db.on('error', () => {});
  const redis = new Redis(env.redisUrl);
  const admin = testKafka(env.kafkaBrokers).admin();
  await admin.connect();
  try {
    const seeded = await seed(loadSeedEnv({ ...process.env, ...env.env }), {
      users: o.users,
      events: o.events,
      noProfiles: true,
      boards: parseBoards(o.boards ?? DEFAULT_SEED_BOARDS),
      seed: 1,
      batch: 5_000,
      inFlight: 4,
    });
    return await work({ env, db, redis, admin, seeded });
  } finally {
    await admin.disconnect();
    redis.disconnect();
    await db.end();
    await env.cleanup();
  }
}
