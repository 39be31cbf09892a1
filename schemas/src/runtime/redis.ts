import { Cluster, type ClusterOptions, type RedisOptions, Redis as Server } from 'ioredis';
import type { Logger } from './logger.js';
import { parseRedisUrl } from './redis-endpoint.js';

/** A connection to a standalone server or to a Redis Cluster; the services use either unchanged. */
export type Redis = Server | Cluster;
export { Cluster };

export interface RedisConfig {
  REDIS_URL: string;
  REDIS_CLUSTER: boolean;
}

export function isCluster(redis: Redis): redis is Cluster {
  return redis instanceof Cluster;
}

export function createRedis(
  config: RedisConfig,
  logger: Logger,
  options: {
    commandTimeoutMs?: number;
    /**
     * Commands sent within one turn of the event loop leave in one write. For many small concurrent
     * commands (the query API's reads): each write and each wake-up of Redis costs more CPU than the
     * command itself on a virtual machine, on both sides. Always on for a cluster, where it also
     * groups commands by node.
     */
    autoPipelining?: boolean;
  } = {},
): Redis {
  const endpoint = parseRedisUrl(config.REDIS_URL, config.REDIS_CLUSTER);
  if (typeof endpoint === 'string') throw new Error(`REDIS_URL ${endpoint}`);
  const common: RedisOptions = {
    // Fail fast while Redis is down instead of queueing commands without bound.
    maxRetriesPerRequest: 1,
    ...(endpoint.username ? { username: endpoint.username } : {}),
    ...(endpoint.password ? { password: endpoint.password } : {}),
    ...(endpoint.tls ? { tls: {} } : {}),
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
  };
  const retry = (times: number) => Math.min(times * 200, 2_000);
  let redis: Redis;
  if (endpoint.cluster) {
    const clusterOptions: ClusterOptions = {
      redisOptions: common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: retry,
      // Managed clusters behind TLS present certificates for the names the nodes announce, which
      // resolving them first would lose (ioredis's advice for AWS ElastiCache).
      ...(endpoint.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    };
    redis = new Cluster(endpoint.nodes, clusterOptions);
  } else {
    redis = new Server({
      ...common,
      host: endpoint.nodes[0]!.host,
      port: endpoint.nodes[0]!.port,
      db: endpoint.db,
      enableOfflineQueue: false,
      lazyConnect: false,
      enableAutoPipelining: options.autoPipelining ?? false,
      retryStrategy: retry,
    });
  }
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error.message }, 'Redis unreachable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis reachable again');
    down = false;
  });
  return redis;
}

/** Every key matching `pattern`, page by page; on a cluster, from every master. */
export async function* scanKeys(redis: Redis, pattern: string): AsyncIterable<string[]> {
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      yield keys;
    } while (cursor !== '0');
  }
}
