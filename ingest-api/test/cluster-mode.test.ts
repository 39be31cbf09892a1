import { Agent, request } from 'node:http';
import {
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
import { sha256Hex } from '../src/auth/api-keys.js';
import { topicEnd } from './kafka-log.js';

/** INGEST_WORKERS=2: one port, two worker processes, one rate limit per key and one /metrics. */
const KEY = 'cluster-ingest-key';
// The smallest rate allowed: its burst (1,000 events) holds exactly one full batch.
const RATE = 500;
const BATCH = 1_000;

let env: TestEnv;
let ingest: ServiceProcess | undefined;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_cluster', partitions: 2 });
  const service = await startService(
    'ingest-api',
    {
      ...env.env,
      INGEST_WORKERS: '2',
      API_KEYS: `game:${sha256Hex(KEY)}:ingest`,
      RATE_LIMIT_EVENTS_PER_S: String(RATE),
      LOG_LEVEL: 'info',
    },
    { port: await freePort(), readyTimeoutMs: 60_000 },
  );
  ingest = service;
  await waitForAllWorkers(service, 'ingest');
});
afterAll(async () => {
  await ingest?.stop();
  await env?.cleanup();
});

/** POST over its own keep-alive connection, so that connections spread over the workers. */
function post(url: string, body: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    )
      .on('error', reject)
      .end(body);
  });
}

describe('ingest API with INGEST_WORKERS=2', () => {
  it('serves one port from two workers, takes every key from one bucket, and reports metrics for both', async () => {
    const service = ingest as ServiceProcess;
    expect(workerPids(service.child.pid as number)).toHaveLength(2);

    // Warm each worker up (its producer and registry ids) with a one-event post per connection.
    const agents = Array.from({ length: 8 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const one = JSON.stringify({ userId: 'warm', value: 1 });
    for (const agent of agents) expect(await post(`${service.url}/v1/events`, one, agent)).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 2 * (BATCH / RATE) * 1000)); // the bucket refills

    // A full batch on every connection at once: the key's bucket holds one, whichever worker answers.
    const batch = JSON.stringify({
      events: Array.from({ length: BATCH }, (_, i) => ({ userId: `u${i % 50}`, value: 1 })),
    });
    const statuses = await Promise.all(agents.map((agent) => post(`${service.url}/v1/events`, batch, agent)));
    for (const agent of agents) agent.destroy();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(agents.length - 1);

    // Every accepted event is in Kafka, and /metrics counts both workers' events.
    expect(await topicEnd(env.kafkaBrokers, env.eventsTopic)).toBe(agents.length + BATCH);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(counterSum(metrics, 'ingest_events_accepted_total', [])).toBe(agents.length + BATCH);
  });

  it('stops the workers and the primary on SIGTERM', async () => {
    const service = ingest as ServiceProcess;
    expect(workerPids(service.child.pid as number)).toHaveLength(2);
    expect(await stopCluster(service)).toEqual({ code: 0, workersLeft: 0 });
  });
});
