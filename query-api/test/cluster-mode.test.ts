import { Agent, request } from 'node:http';
import { createPool } from '@rankstream/schemas/runtime';
import {
  connectTestRedis,
  counterSum,
  createTestEnv,
  freePort,
  type ServiceProcess,
  startService,
  stopCluster,
  type TestEnv,
  waitForAllWorkers,
  workerPids,
} from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProjectionWriter } from './fixtures/projection-writer.js';
import { silentLogger } from './fixtures/query-world.js';

/** QUERY_WORKERS=2: one port, two worker processes, one service-wide rate limit and /metrics. */
const LIMIT = 25;

let env: TestEnv;
let query: ServiceProcess | undefined;

beforeAll(async () => {
  env = await createTestEnv({ name: 'query_cluster', partitions: 1 });
  const service = await startService(
    'query-api',
    { ...env.env, QUERY_WORKERS: '2', QUERY_RATE_LIMIT_PER_S: String(LIMIT), LOG_LEVEL: 'info' },
    { port: await freePort(), readyTimeoutMs: 60_000 },
  );
  query = service;
  // Ready means one worker answers; the tests need both (connections to spread, metrics from both).
  await waitForAllWorkers(service, 'query');
});
afterAll(async () => {
  await query?.stop();
  await env?.cleanup();
});

/** GET over its own keep-alive connection, so that connections spread over the workers. */
function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('query API with QUERY_WORKERS=2', () => {
  it('serves one port from two workers, limits each address across both, and reports metrics for both', async () => {
    const service = query as ServiceProcess;
    const pid = service.child.pid as number;
    expect(workerPids(pid)).toHaveLength(2);

    // Many connections at once: the kernel and node:cluster hand them to both workers.
    const agents = Array.from({ length: 16 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const statuses = await Promise.all(
      Array.from({ length: 3 * LIMIT }, (_, i) => get(`${service.url}/v1/boards`, agents[i % agents.length] as Agent)),
    );
    for (const agent of agents) agent.destroy();
    const ok = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 429).length;
    // Within the same second the address gets LIMIT answers in all, not LIMIT per worker. (A second
    // boundary in the middle of the burst can allow one more window; the burst takes milliseconds.)
    expect(ok + limited).toBe(3 * LIMIT);
    expect(ok).toBeGreaterThanOrEqual(LIMIT);
    expect(ok).toBeLessThan(2 * LIMIT);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(counterSum(metrics, 'query_http_requests_total', ['route="/v1/boards"', 'status="200"'])).toBe(ok);
    expect(counterSum(metrics, 'query_http_requests_total', ['status="429"'])).toBe(limited);
  });

  it('takes WebSocket feeds through the workers (connections spread round-robin)', async () => {
    const service = query as ServiceProcess;
    const pool = createPool(env.databaseUrl, 2, silentLogger);
    const redis = connectTestRedis(env.redisUrl);
    try {
      await new ProjectionWriter(pool, redis, env.redisPrefix, env.eventsTopic).writeState({
        boards: [{ board: 'cw', order: 'desc' }],
        totals: [{ board: 'cw', periodKey: 'all', userId: 'a', score: 7, reachedAt: 1_763_000_000_000 }],
        watermark: { 0: 1 },
      });
    } finally {
      redis.disconnect();
      await pool.end();
    }
    // A fresh second of the per-address limit, which the test above spent.
    await new Promise((r) => setTimeout(r, 1_100));
    const sockets = Array.from(
      { length: 8 },
      () => new WebSocket(`${service.url.replace('http', 'ws')}/v1/boards/cw/ws`),
    );
    const firsts = await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<{ event: string; data: { entries: { userId: string }[] } }>((resolve, reject) => {
            ws.once('message', (raw) => resolve(JSON.parse(String(raw))));
            ws.once('error', reject);
          }),
      ),
    );
    expect(firsts.map((m) => [m.event, m.data.entries.map((e) => e.userId)])).toEqual(
      Array.from({ length: 8 }, () => ['top', ['a']]),
    );
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(counterSum(metrics, 'query_websockets', ['kind="top"'])).toBe(8);
    for (const ws of sockets) ws.close();
  });

  it('stops the workers and the primary on SIGTERM', async () => {
    const service = query as ServiceProcess;
    expect(workerPids(service.child.pid as number)).toHaveLength(2);
    expect(await stopCluster(service)).toEqual({ code: 0, workersLeft: 0 });
  });
});
