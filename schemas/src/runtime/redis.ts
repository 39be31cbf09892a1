import { Cluster, type ClusterOptions, type RedisOptions, Redis as Server } from 'ioredis';
import { slotOf } from '../redis-slots.js';
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
     * command itself on a virtual machine, on both sides. A standalone server only (see below).
     */
    autoPipelining?: boolean;
    /**
     * For SUBSCRIBE only. On a cluster, a plain connection to the first seed node: a PUBLISH reaches
     * the subscribers of every node, and ioredis's cluster subscriber spins (a core, and memory
     * growing by megabytes a second) while no node answers.
     */
    subscriber?: boolean;
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
  if (endpoint.cluster && !options.subscriber) {
    const clusterOptions: ClusterOptions = {
      redisOptions: common,
      enableOfflineQueue: false,
      // Off: an auto-pipeline whose commands meet MOVED replies for several slots (a master restarted)
      // hands the errors back instead of following them, and the client's slot map never heals.
      enableAutoPipelining: false,
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

/** Resolves true once the connection is ready, false after `ms` without it. */
export function redisReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', ready);
      resolve(false);
    }, ms);
    const ready = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', ready);
  });
}

/**
 * Loads the cluster's slot map afresh. The client's own may still miss a master that was restarted:
 * commands for its slots would go elsewhere, and a pipeline hands back the MOVED replies it gets.
 */
async function refreshedSlots(cluster: Cluster): Promise<void> {
  await redisReady(cluster, 10_000);
  await new Promise<void>((resolve, reject) =>
    cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
  );
}

/**
 * Runs one command per key in one pipeline per node (a standalone server: one pipeline), for the
 * thousands of small keys no script can take together on a cluster. Resolves to the replies in
 * order; a reply that is an error rejects.
 */
export async function perKeyPipelined(
  redis: Redis,
  keys: readonly string[],
  command: (pipeline: ReturnType<Redis['pipeline']>, key: string) => void,
): Promise<unknown[]> {
  const cluster = isCluster(redis) ? redis : undefined;
  if (cluster) await refreshedSlots(cluster);
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const node = cluster ? (cluster.slots[slotOf(key)]?.[0] ?? '?') : '';
    const group = groups.get(node);
    if (group) group.push(i);
    else groups.set(node, [i]);
  });
  const replies: unknown[] = new Array(keys.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const pipeline = redis.pipeline();
      for (const i of indexes) command(pipeline, keys[i]!);
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, reply], j) => {
        if (error) throw error;
        replies[indexes[j]!] = reply;
      });
    }),
  );
  return replies;
}

/** Deletes every key matching `pattern`, one key per command so that it works on a cluster; returns how many. */
export async function unlinkMatching(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  for await (const keys of scanKeys(redis, pattern)) {
    const done = await Promise.all(keys.map((k) => redis.unlink(k)));
    deleted += done.reduce((sum, n) => sum + n, 0);
  }
  return deleted;
}

/** Every key matching `pattern`, page by page; on a cluster, from every master. */
export async function* scanKeys(redis: Redis, pattern: string): AsyncIterable<string[]> {
  let servers: Server[] = [redis as Server];
  if (isCluster(redis)) {
    await refreshedSlots(redis);
    servers = redis.nodes('master');
  }
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      yield keys;
    } while (cursor !== '0');
  }
}
