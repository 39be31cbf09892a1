/**
 * Where Redis is, from REDIS_URL (and REDIS_CLUSTER): `redis://[user:password@]host:port[/db]`,
 * `rediss://` for TLS, and `redis+cluster://` / `rediss+cluster://` with comma-separated seed nodes
 * for a Redis Cluster. Managed offerings take the same URLs (AUTH from the user and password).
 */
export interface RedisEndpoint {
  cluster: boolean;
  tls: boolean;
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  db: number;
}

const SCHEMES: Record<string, { tls: boolean; cluster: boolean }> = {
  redis: { tls: false, cluster: false },
  rediss: { tls: true, cluster: false },
  'redis+cluster': { tls: false, cluster: true },
  'rediss+cluster': { tls: true, cluster: true },
};

/** The endpoint, or a message naming what is wrong with the URL. */
export function parseRedisUrl(url: string, cluster = false): RedisEndpoint | string {
  const m = /^([a-z+]+):\/\/(?:([^@/]*)@)?([^/?#@]+)(?:\/(\d*))?$/.exec(url);
  if (!m) return 'must look like redis://[user:password@]host:port[/db]';
  const [, scheme, userinfo, hostList, db] = m;
  const kind = SCHEMES[scheme!];
  if (!kind) return `unknown scheme ${scheme}: use redis, rediss, redis+cluster or rediss+cluster`;
  const nodes: { host: string; port: number }[] = [];
  for (const hostPort of hostList!.split(',')) {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostPort.trim());
    if (!hp) return `cannot read the host ${hostPort}`;
    const port = hp[2] === undefined ? 6379 : Number(hp[2]);
    if (port < 1 || port > 65_535) return `port out of range in ${hostPort}`;
    nodes.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port });
  }
  const isCluster = kind.cluster || cluster;
  if (!isCluster && nodes.length > 1) return 'several hosts are for a cluster: use redis+cluster://';
  const dbNumber = db ? Number(db) : 0;
  if (isCluster && dbNumber !== 0) return 'a Redis Cluster has database 0 only';
  const endpoint: RedisEndpoint = { cluster: isCluster, tls: kind.tls, nodes, db: dbNumber };
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (user) endpoint.username = user;
    if (colon >= 0) endpoint.password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  return endpoint;
}
