import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis };

export function createRedis(
  redisUrl: string,
  logger: Logger,
  options: {
    commandTimeoutMs?: number;
    /**
     * Commands sent within one turn of the event loop leave in one write. For many small concurrent
     * commands (the query API's reads): each write and each wake-up of Redis costs more CPU than the
     * command itself on a virtual machine, on both sides.
     */
    autoPipelining?: boolean;
  } = {},
): Redis {
  const redis = new Redis(redisUrl, {
    // Fail fast while Redis is down instead of queueing commands without bound.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    enableAutoPipelining: options.autoPipelining ?? false,
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error.message }, 'Redis unreachable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis reachable again');
    down = false;
  });
  return redis;
}
