import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { counterSum, type TestEnv } from '../testing/index.js';
import { benchHttpClient, startPipeline } from './bench-http.js';
import type { CpuShare } from './cpu-share.js';
import { cpuWindow } from './proc-sampler.js';
import { type LatencySummary, summarize } from './stats.js';

export interface LiveResult {
  subscribers: number;
  /** Subscribers that received every change. */
  held: number;
  connectSeconds: number;
  /** The query API's resident memory growth per open socket (kB). */
  rssPerConnectionKb: number;
  changes: number;
  /** From the 202 of the event that changed the top to its arrival at each subscriber. */
  deliveryMs: LatencySummary;
  /** Per change, from its first subscriber's delivery to its last one's. */
  spreadMs: LatencySummary;
  /** Answers the query API read per change, for all subscribers together. */
  readsPerChange: number;
  cpu: CpuShare[];
  /** The query API's CPU per delivered message (µs). */
  queryMicrosPerMessage: number;
}

const BOARD_PATH = '/v1/boards/live/ws?limit=10';

/**
 * Holds `subscribers` WebSocket clients on one board's top 10 through the real pipeline (ingest API,
 * projector, query API), then posts `changes` events that each put a new leader on top, one every
 * `intervalMs`, and times each change from its 202 to its arrival at every subscriber.
 */
export async function benchLiveFeeds(o: {
  env: TestEnv;
  subscribers: number;
  changes: number;
  intervalMs: number;
  log: (line: string) => void;
}): Promise<LiveResult> {
  const pipeline = await startPipeline(o.env, 'live');
  const { ingest, query } = pipeline;
  const { request, close } = benchHttpClient(4);
  const sockets: WebSocket[] = [];
  try {
    const seed = Array.from({ length: 100 }, (_, i) => ({ userId: `seed-${i}`, board: 'live', value: 1 + i }));
    const posted = await request(ingest.url, 'POST', '/v1/events', { events: seed });
    if (posted.status !== 202) throw new Error(`seeding answered ${posted.status}: ${posted.body}`);
    await untilVisible(query.url, '/v1/boards/live/users/seed-99');

    const arrivals: number[][] = [];
    let current = -1;
    let changeSentAt = 0;
    const subscriber = () => {
      const mine: number[] = [];
      arrivals.push(mine);
      let last = -1;
      return connect(query.url, BOARD_PATH, (frame) => {
        if (current <= last || !frame.includes(`"lead-${current}"`)) return;
        last = current;
        mine[current] = performance.now() - changeSentAt;
      });
    };
    // One subscriber first, so the feed and the process's code are warm before memory is read.
    sockets.push(await subscriber());
    const rssBefore = rssKb(query.child.pid ?? 0);
    const started = performance.now();
    // A hundred handshakes at a time, as a crowd of clients arriving would.
    for (let i = 1; i < o.subscribers; i += 100) {
      const n = Math.min(100, o.subscribers - i);
      sockets.push(...(await Promise.all(Array.from({ length: n }, subscriber))));
    }
    const connectSeconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1_000));
    const rssPerConnectionKb = (rssKb(query.child.pid ?? 0) - rssBefore) / Math.max(1, o.subscribers - 1);
    o.log(
      `  live: ${o.subscribers} sockets open in ${connectSeconds.toFixed(1)} s, ${rssPerConnectionKb.toFixed(1)} kB each`,
    );

    const readsBefore = await feedReads(query.url);
    const window = await cpuWindow();
    const spreads: number[] = [];
    for (let k = 0; k < o.changes; k += 1) {
      const sent = performance.now();
      const res = await request(ingest.url, 'POST', '/v1/events', {
        events: [{ userId: `lead-${k}`, board: 'live', value: 1_000 + k }],
      });
      if (res.status !== 202) throw new Error(`a change answered ${res.status}: ${res.body}`);
      changeSentAt = performance.now();
      current = k;
      const due = sent + o.intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const times = arrivals.map((a) => a[k]).filter((t): t is number => t !== undefined);
      if (times.length > 0) spreads.push(Math.max(...times) - Math.min(...times));
    }
    // The last change's messages may still be on their way.
    await new Promise((r) => setTimeout(r, 1_000));
    const cpu = await window.stop();
    const reads = (await feedReads(query.url)) - readsBefore;
    const got = arrivals.map((a) => a.filter((t) => t !== undefined));
    const held = got.filter((a) => a.length === o.changes).length;
    const delivered = got.reduce((n, a) => n + a.length, 0);
    const seconds = (o.changes * o.intervalMs + 1_000) / 1000;
    const queryCores = cpu.find((c) => c.label === 'query-api')?.cores ?? 0;
    const result: LiveResult = {
      subscribers: o.subscribers,
      held,
      connectSeconds,
      rssPerConnectionKb,
      changes: o.changes,
      deliveryMs: summarize(got.flat()),
      spreadMs: summarize(spreads),
      readsPerChange: reads / o.changes,
      cpu,
      queryMicrosPerMessage: (queryCores * seconds * 1e6) / Math.max(1, delivered),
    };
    o.log(
      `  live: ${held} of ${o.subscribers} got all ${o.changes} changes; 202 → delivered p50 ${result.deliveryMs.p50.toFixed(1)} ms, ` +
        `p99 ${result.deliveryMs.p99.toFixed(1)} ms; spread p99 ${result.spreadMs.p99.toFixed(1)} ms; ${result.readsPerChange.toFixed(2)} reads per change`,
    );
    return result;
  } finally {
    for (const s of sockets) s.terminate();
    close();
    await pipeline.stop();
  }
}

function connect(base: string, path: string, onMessage: (frame: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, { perMessageDeflate: false });
    ws.on('open', () => resolve(ws));
    ws.on('message', (raw) => onMessage(String(raw)));
    ws.on('error', reject);
  });
}

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? Number.NaN);
}

async function feedReads(base: string): Promise<number> {
  return counterSum(await (await fetch(`${base}/metrics`)).text(), 'query_live_feed_reads_total', []);
}

async function untilVisible(base: string, path: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await fetch(`${base}${path}`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${path} never became visible`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
