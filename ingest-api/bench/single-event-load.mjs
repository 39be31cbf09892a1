// Single-event POST /v1/events load against a real ingest process (built dist/) on an isolated test
// topic: N requests over keep-alive from C concurrent connections, one event per request, each
// answered only after Kafka acked it with acks=all. Prints requests/s and latency percentiles.
//
//   npx tsc -p schemas/tsconfig.json && npx tsc -p tools/tsconfig.json && npx tsc -p ingest-api/tsconfig.json
//   node ingest-api/bench/single-event-load.mjs [requests=20000] [connections=32]
import { createHash } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { createTestEnv, freePort, startService } from '@rankstream/tools/testing';

const total = Number(process.argv[2] ?? 20_000);
const connections = Number(process.argv[3] ?? 32);
const KEY = 'bench-key';

const env = await createTestEnv({ name: 'ingest_bench', partitions: 6 });
const api = await startService(
  'ingest-api',
  {
    ...env.env,
    API_KEYS: `bench:${createHash('sha256').update(KEY).digest('hex')}:ingest`,
    RATE_LIMIT_EVENTS_PER_S: '1000000',
    LOG_LEVEL: 'warn',
  },
  { port: await freePort() },
);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

function post(i) {
  const body = JSON.stringify({ eventId: `bench-${i}`, userId: `player-${i % 5000}`, value: (i % 100) + 1 });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: api.port,
        path: '/v1/events',
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

try {
  // Warm-up: registry schema ids, board creation, connections.
  for (let i = 0; i < 200; i++) await post(-1 - i);
  const latencies = new Float64Array(total);
  const statuses = new Map();
  let next = 0;
  const cpuBefore = os.loadavg()[0];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        const status = await post(i);
        latencies[i] = performance.now() - t0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  const pct = (p) => latencies[Math.min(total - 1, Math.floor((p / 100) * total))].toFixed(1);
  console.log(
    JSON.stringify({
      requests: total,
      connections,
      seconds: Number(seconds.toFixed(2)),
      requestsPerS: Math.round(total / seconds),
      p50Ms: Number(pct(50)),
      p99Ms: Number(pct(99)),
      maxMs: Number(latencies[total - 1].toFixed(1)),
      statuses: Object.fromEntries(statuses),
      loadavg1mBefore: cpuBefore,
      loadavg1mAfter: os.loadavg()[0],
    }),
  );
} finally {
  agent.destroy();
  await api.stop();
  await env.cleanup();
}
