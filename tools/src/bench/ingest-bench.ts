import { freePort, startService, type TestEnv, waitForAllWorkers } from '../testing/index.js';
import { benchHttpClient, benchServiceEnv } from './bench-http.js';
import type { CpuShare } from './cpu-share.js';
import { cpuWindow } from './proc-sampler.js';
import { type LatencySummary, summarize } from './stats.js';

export interface IngestResult {
  workers: number;
  clients: number;
  batchSize: number;
  seconds: number;
  acceptedEventsPerSecond: number;
  rejectedRequests: number;
  latencyMs: LatencySummary;
  cpu: CpuShare[];
}

/**
 * The ingest API alone at full speed: `clients` keep-alive connections, each posting its next batch
 * of `batchSize` events as soon as the previous 202 arrives (acks=all, so every accepted event is in
 * Kafka's in-sync replicas), for `seconds`. The bodies are serialized once, so the load generator's
 * own cost stays small; the ingest API gives each event its eventId.
 */
export async function benchIngest(o: {
  env: TestEnv;
  seconds: number;
  clients: number;
  batchSize: number;
  /** INGEST_WORKERS. */
  workers: number;
  /** Node flags for the ingest API process (a CPU profile). */
  nodeArgs?: readonly string[];
  log: (line: string) => void;
}): Promise<IngestResult> {
  const ingest = await startService(
    'ingest-api',
    { ...benchServiceEnv(o.env), INGEST_WORKERS: String(o.workers), LOG_LEVEL: 'info' },
    { port: await freePort(), nodeArgs: o.nodeArgs ?? [] },
  );
  if (o.workers > 1) await waitForAllWorkers(ingest, 'ingest');
  const { request, close } = benchHttpClient(o.clients);
  const bodies = Array.from({ length: 16 }, (_, b) =>
    JSON.stringify({
      events: Array.from({ length: o.batchSize }, (_, i) => ({
        userId: `ingest-${(b * o.batchSize + i) % 100_000}`,
        value: 1 + (i % 100),
      })),
    }),
  );
  const latencies: number[] = [];
  let accepted = 0;
  let rejected = 0;
  try {
    // A warm-up on every connection, so that each worker's producer and JIT are ready before the window opens.
    await Promise.all(Array.from({ length: o.clients }, () => request(ingest.url, 'POST', '/v1/events', bodies[0])));
    const window = await cpuWindow();
    const started = performance.now();
    const stopAt = started + o.seconds * 1000;
    await Promise.all(
      Array.from({ length: o.clients }, async (_, c) => {
        for (let n = c; performance.now() < stopAt; n += o.clients) {
          const t0 = performance.now();
          const res = await request(ingest.url, 'POST', '/v1/events', bodies[n % bodies.length]).catch(() => undefined);
          latencies.push(performance.now() - t0);
          if (res?.status === 202) accepted += o.batchSize;
          else rejected += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = await window.stop();
    const result: IngestResult = {
      workers: o.workers,
      clients: o.clients,
      batchSize: o.batchSize,
      seconds,
      acceptedEventsPerSecond: accepted / seconds,
      rejectedRequests: rejected,
      latencyMs: summarize(latencies),
      cpu,
    };
    o.log(
      `  ingest (${o.workers} worker${o.workers > 1 ? 's' : ''}): ${Math.round(result.acceptedEventsPerSecond)} events/s accepted, ${rejected} requests refused; ` +
        `202 p50 ${result.latencyMs.p50.toFixed(1)} ms p99 ${result.latencyMs.p99.toFixed(1)} ms`,
    );
    return result;
  } finally {
    close();
    await ingest.stop();
  }
}
