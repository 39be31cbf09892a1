import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { mustRun } from '../stack/run-command.js';
import { freePort } from './service-process.js';

/**
 * A private Redis Cluster of masters (no replicas) from the machine's own `redis-server`, joined with
 * `redis-cli --cluster create`, for the tests that run the projection and the query API on a
 * cluster. Like the product's standalone Redis it keeps nothing on disk but each node's cluster
 * config, so a node restarted comes back owning the same slots, empty: a master lost and replaced.
 */
export interface LocalRedisCluster {
  /** redis+cluster://host:port,... for REDIS_URL. */
  url: string;
  ports: number[];
  /** The node (0-based) that serves a slot. */
  nodeOf(slot: number): Promise<number>;
  /** SIGKILLs one node (0-based). */
  kill(node: number): Promise<void>;
  /** Starts a killed node again on its port and cluster config, resolving once the cluster is whole. */
  restart(node: number): Promise<void>;
  /** Stops every node and deletes their directories. */
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function clusterOk(port: number, masters: number): Promise<boolean> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    const info = String(await redis.call('CLUSTER', 'INFO'));
    return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`);
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function startRedisCluster(options: { masters?: number } = {}): Promise<LocalRedisCluster> {
  const masters = options.masters ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'rs-redis-cluster-'));
  const ports: number[] = [];
  const busPorts: number[] = [];
  for (let i = 0; i < masters; i++) {
    ports.push(await freePort());
    busPorts.push(await freePort());
  }
  const children: (ChildProcess | undefined)[] = new Array(masters);

  function startNode(i: number): void {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(ports[i]),
        '--cluster-port',
        String(busPorts[i]),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${i}.conf`,
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        join(dir, `node-${i}.log`),
      ],
      { stdio: 'ignore' },
    );
    child.once('error', () => {});
    children[i] = child;
  }

  async function stopNode(i: number, signal: NodeJS.Signals): Promise<void> {
    const child = children[i];
    children[i] = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  const cluster: LocalRedisCluster = {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    kill: (node) => stopNode(node, 'SIGKILL'),
    async nodeOf(slot) {
      const redis = new Redis({ port: ports[0], host: '127.0.0.1' });
      redis.on('error', () => {});
      try {
        const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const owner = ranges.find(([from, to]) => from <= slot && slot <= to);
        if (!owner) throw new Error(`no node serves slot ${slot}`);
        return ports.indexOf(Number(owner[2][1]));
      } finally {
        redis.disconnect();
      }
    },
    async restart(node) {
      startNode(node);
      await waitFor('the restarted node', async () => {
        for (const port of ports) if (!(await clusterOk(port, masters))) return false;
        return true;
      });
    },
    async destroy() {
      for (let i = 0; i < masters; i++) await stopNode(i, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    for (let i = 0; i < masters; i++) startNode(i);
    for (const port of ports) {
      await waitFor(`node ${port}`, async () => {
        const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        r.on('error', () => {});
        try {
          await r.connect();
          return (await r.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          r.disconnect();
        }
      });
    }
    await mustRun('redis-cli --cluster create', 'redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitFor('cluster_state:ok', async () => {
      for (const port of ports) if (!(await clusterOk(port, masters))) return false;
      return true;
    });
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
