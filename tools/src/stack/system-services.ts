import { existsSync, readdirSync } from 'node:fs';
import { type Logger, parseRedisUrl } from '@rankstream/schemas/runtime';
import { Redis } from 'ioredis';
import { portAnswers, waitUntil } from './port-probe.js';
import { mustRun } from './run-command.js';

/**
 * PostgreSQL and Redis are machine services (installed by the OS package manager), not something
 * the project fetches. When their default local address does not answer, they are started the way
 * CI starts them; what was started here is stopped again by stop().
 */
export interface SystemService {
  name: string;
  startedHere: boolean;
  stop(): Promise<void>;
}

const notStarted = (name: string): SystemService => ({ name, startedHere: false, stop: async () => {} });

function hostPort(url: string, fallbackPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port) || fallbackPort };
}

function postgresVersion(): string {
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
  const version = versions.pop();
  if (!version) {
    throw new Error(
      'PostgreSQL does not answer on 127.0.0.1:5432 and no local cluster is installed (/etc/postgresql is empty). ' +
        'Install PostgreSQL 15 (apt-get install postgresql) or set DATABASE_URL.',
    );
  }
  return version;
}

/** `configured`: DATABASE_URL was given, so nothing local is ever started for it. */
export async function ensurePostgres(url: string, configured: boolean, logger: Logger): Promise<SystemService> {
  const { host, port } = hostPort(url, 5432);
  if (await portAnswers(host, port)) return notStarted('postgresql');
  if (configured) throw new Error(`PostgreSQL at DATABASE_URL (${host}:${port}) does not answer`);
  const version = postgresVersion();
  logger.info({ version }, 'PostgreSQL is down; starting the local cluster');
  await mustRun('starting PostgreSQL', 'pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  await waitUntil('PostgreSQL', () => portAnswers(host, port), { timeoutMs: 30_000 });
  return {
    name: 'postgresql',
    startedHere: true,
    async stop() {
      logger.info('stopping the PostgreSQL cluster started here');
      await mustRun('stopping PostgreSQL', 'pg_ctlcluster', [
        '--skip-systemctl-redirect',
        version,
        'main',
        'stop',
        '--',
        '-m',
        'fast',
      ]).catch((error) => logger.warn({ err: error }, 'could not stop PostgreSQL'));
    },
  };
}

export async function ensureRedis(url: string, configured: boolean, logger: Logger): Promise<SystemService> {
  const endpoint = parseRedisUrl(url);
  if (typeof endpoint === 'string') throw new Error(`REDIS_URL ${endpoint}`);
  // A cluster's first seed node stands for it: it is never started here.
  const { host, port } = endpoint.nodes[0]!;
  if (await portAnswers(host, port)) return notStarted('redis');
  if (configured || endpoint.cluster) throw new Error(`Redis at REDIS_URL (${host}:${port}) does not answer`);
  logger.info('Redis is down; starting redis-server');
  // No persistence: Redis only holds a projection that the projector rebuilds from PostgreSQL.
  await mustRun('starting Redis', 'redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '-::1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    '/var/lib/redis',
    '--logfile',
    '/var/log/redis/ci.log',
  ]);
  await waitUntil('Redis', () => portAnswers(host, port), { timeoutMs: 15_000 });
  return {
    name: 'redis',
    startedHere: true,
    async stop() {
      logger.info('stopping the Redis server started here');
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await redis.connect();
        await redis.call('SHUTDOWN', 'NOSAVE').catch(() => {}); // the connection drops: that is success
      } catch (error) {
        logger.warn({ err: error }, 'could not stop Redis');
      } finally {
        redis.disconnect();
      }
    },
  };
}
