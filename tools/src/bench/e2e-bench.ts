import type { TestEnv } from '../testing/index.js';
import { benchHttpClient, startPipeline } from './bench-http.js';
import type { CpuShare } from './cpu-share.js';
import { cpuWindow } from './proc-sampler.js';
import { type LatencySummary, summarize } from './stats.js';

export interface E2eResult {
  targetEventsPerSecond: number;
  postedEventsPerSecond: number;
  accepted: number;
  rejected: number;
  ingestLatencyMs: LatencySummary;
  visibleLatencyMs: LatencySummary;
  /** The same measure during the warm-up, which the figures above leave out. */
  warmupVisibleLatencyMs: LatencySummary;
  staleAnswers: number;
  /** Cores used per process group while the load ran (the services are up before and stopped after). */
  cpu: CpuShare[];
}

/**
 * Steady load through the whole system: `batchSize`-event POSTs every `intervalMs` to the ingest API
 * for `seconds`; for every `sampleEvery`-th request, the time from its 202 until the query API
 * answers for that user with the write visible (`?after=<consistencyToken>`, which waits until the
 * projection covers the write; a `X-Consistency: stale` answer counts as not visible).
 *
 * The load runs `warmupSeconds` first at the same rate, measured apart: the services' first batches
 * and requests run cold (code not yet optimised, the registry's schemas and PostgreSQL's plans not
 * yet cached) and take ~190–290 ms, which would make the tail a measure of start-up. Requests are
 * counted in the phase they were sent in; the warm-up's last answers may still cost CPU inside the
 * measured window.
 */
export async function benchEndToEnd(o: {
  env: TestEnv;
  seconds: number;
  batchSize: number;
  intervalMs: number;
  sampleEvery: number;
  warmupSeconds: number;
  log: (line: string) => void;
}): Promise<E2eResult> {
  const pipeline = await startPipeline(o.env, 'e2e');
  const { ingest, query } = pipeline;
  const { request, close } = benchHttpClient(64);

  const warmup = newTally();
  const measured = newTally();
  const pending: Promise<void>[] = [];
  try {
    const warmupStarted = performance.now();
    const warmupEnds = warmupStarted + o.warmupSeconds * 1000;
    // Started, not awaited, at the first measured tick: the sampler reads /proc for every process,
    // and the sends must keep to their schedule meanwhile.
    let window: ReturnType<typeof cpuWindow> | undefined;
    let measuredFrom = Number.NaN;
    let lastSent = Number.NaN;
    let n = 0;
    for (let tick = 0; ; tick += 1) {
      const due = warmupStarted + tick * o.intervalMs;
      if (window && due - measuredFrom >= o.seconds * 1000) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!window && due >= warmupEnds) {
        window = cpuWindow();
        measuredFrom = due;
      }
      // A request belongs to the phase it was sent in, whenever its answers come back.
      const tally = window ? measured : warmup;
      const sample = tick % o.sampleEvery === 0;
      const user = `e2e-${tick % 5000}`;
      const events = Array.from({ length: o.batchSize }, (_, i) => ({
        userId: i === 0 ? user : `e2e-${(tick * o.batchSize + i) % 20000}`,
        value: 1 + ((tick + i) % 100),
      }));
      if (window) {
        n += events.length;
        lastSent = performance.now();
      }
      pending.push(
        (async () => {
          const t0 = performance.now();
          const res = await request(ingest.url, 'POST', '/v1/events', { events }).catch(() => undefined);
          const t1 = performance.now();
          if (res) tally.ingest.push(t1 - t0);
          if (res?.status !== 202) {
            tally.rejected += events.length;
            return;
          }
          tally.accepted += events.length;
          if (!sample) return;
          const token = (JSON.parse(res.body) as { consistencyToken: string }).consistencyToken;
          const q = await request(
            query.url,
            'GET',
            `/v1/boards/global/users/${user}?after=${encodeURIComponent(token)}`,
          ).catch(() => undefined);
          if (q?.status !== 200 || q.headers['x-consistency'] === 'stale') tally.stale += 1;
          else tally.visible.push(performance.now() - t1);
        })(),
      );
    }
    if (!window) throw new Error('the end-to-end load never reached its measured phase');
    const sampling = await window;
    await Promise.all(pending);
    const cpu = await sampling.stop();
    // The schedule's span, as the sends kept it (one interval for the last send).
    const seconds = (lastSent - measuredFrom + o.intervalMs) / 1000;
    const result: E2eResult = {
      targetEventsPerSecond: (o.batchSize * 1000) / o.intervalMs,
      postedEventsPerSecond: n / seconds,
      accepted: measured.accepted,
      rejected: measured.rejected,
      ingestLatencyMs: summarize(measured.ingest),
      visibleLatencyMs: summarize(measured.visible),
      warmupVisibleLatencyMs: summarize(warmup.visible),
      staleAnswers: measured.stale,
      cpu,
    };
    o.log(
      `  e2e: ${Math.round(result.postedEventsPerSecond)} events/s posted, ${result.accepted} accepted, ${result.rejected} rejected; ` +
        `202 p50 ${result.ingestLatencyMs.p50.toFixed(1)} ms p99 ${result.ingestLatencyMs.p99.toFixed(1)} ms; ` +
        `visible p50 ${result.visibleLatencyMs.p50.toFixed(1)} ms p99 ${result.visibleLatencyMs.p99.toFixed(1)} ms ` +
        `(${measured.visible.length} samples, ${result.staleAnswers} stale); warm-up: ${warmup.visible.length} samples` +
        (warmup.visible.length ? `, visible max ${result.warmupVisibleLatencyMs.max.toFixed(1)} ms` : ''),
    );
    return result;
  } finally {
    close();
    await pipeline.stop();
  }
}

interface Tally {
  ingest: number[];
  visible: number[];
  accepted: number;
  rejected: number;
  stale: number;
}

function newTally(): Tally {
  return { ingest: [], visible: [], accepted: 0, rejected: 0, stale: 0 };
}
