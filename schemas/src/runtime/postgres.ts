import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import type { Logger } from './logger.js';

// bigint columns hold scores and offsets within ±(2^53−1): parse them as numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
/** bigint[] (OID 1016): tie-break values, the same way. */
const INT8_ARRAY = 1016;
const types = pg.types as unknown as {
  getTypeParser(oid: number): (v: string) => (string | null)[];
  setTypeParser(oid: number, parse: (v: string) => unknown): void;
};
const parseInt8ArrayText = types.getTypeParser(INT8_ARRAY);
types.setTypeParser(INT8_ARRAY, (v) => parseInt8ArrayText(v).map(Number));

export type Pool = pg.Pool;

/**
 * A pool of `max` connections. `settings` become session settings of every connection (`-c k=v`,
 * after any `options` the URL carries), for a service whose statements want other defaults.
 */
export function createPool(
  databaseUrl: string,
  max: number,
  logger: Logger,
  settings: Record<string, string> = {},
): pg.Pool {
  const fromUrl = URL.canParse(databaseUrl) ? new URL(databaseUrl).searchParams.get('options') : null;
  const extra = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`);
  const options = [fromUrl, ...extra].filter(Boolean).join(' ');
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 5_000,
    ...(options ? { options } : {}),
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL client error'));
  return pool;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Creates the database if missing (connecting to "postgres" for that), then runs the migrations. */
export async function migrate(databaseUrl: string, logger: Logger, lockWaitMs = 60_000): Promise<void> {
  await ensureDatabase(databaseUrl);
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      await runner({
        databaseUrl,
        dir: MIGRATIONS_DIR,
        direction: 'up',
        migrationsTable: 'pgmigrations',
        count: Number.POSITIVE_INFINITY,
        log: (msg: string) => logger.debug({ component: 'migrations' }, msg),
        noLock: false,
      });
      return;
    } catch (error) {
      // node-pg-migrate's lock is pg_try_advisory_lock: a process starting next to another (the
      // three services, or query workers) would fail instead of waiting for the other's migrations.
      if (!/another migration is already running/i.test((error as Error).message) || Date.now() > deadline) {
        throw error;
      }
      logger.debug({ component: 'migrations' }, 'another process is migrating; waiting');
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }
}

export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) return;
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((error: { code?: string }) => {
        // Created meanwhile by another process: 42P04, or 23505 when both inserts race in pg_database.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}
