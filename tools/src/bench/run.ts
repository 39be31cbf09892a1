import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@rankstream/schemas/runtime';
import { fetchKafkaJars } from '../stack/maven-artifacts.js';
import { loadStackConfig, REPO_ROOT } from '../stack/stack-config.js';
import { createTestEnv, testKafka } from '../testing/index.js';
import {
  kafkaConsumerBaseline,
  kafkaProducerBaseline,
  postgresFloorBaseline,
  postgresUpsertBaseline,
  redisBenchmark,
} from './baselines.js';
import { BENCH_LABEL, type CpuShare, formatShares, totalCores } from './cpu-share.js';
import { benchEndToEnd } from './e2e-bench.js';
import type { LoadResult } from './http-load.js';
import { benchIngest, type IngestResult } from './ingest-bench.js';
import { benchLiveFeeds } from './live-bench.js';
import { benchProjection } from './projection-bench.js';
import { benchQueries, type CallCost } from './query-bench.js';
import { fmt, ratio } from './stats.js';

/**
 * `npm run bench`: measures on this machine, prints as it goes, and rewrites the part of
 * BENCHMARKS.md between the bench markers (the hand-written analysis around it is kept).
 * Needs the stack up (`npm run stack -- up`, or a running `npm start`). Every load is bounded.
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'projection,ingest,query,e2e,live' },
    events: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '200000' },
    'query-users': { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    'e2e-seconds': { type: 'string', default: '30' },
    /** WebSocket clients held on one board's live feed. */
    subscribers: { type: 'string', default: '10000' },
    'no-write': { type: 'boolean', default: false },
    /** A folder: the projector, the ingest API and the query API (Redis run) leave --cpu-prof profiles there. */
    'cpu-prof': { type: 'string' },
  },
});
const only = new Set(values.only.split(','));
const nodeArgs = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
const log = (line: string) => console.log(line);
/** The end-to-end load runs this long before it is measured (see benchEndToEnd). */
const E2E_WARMUP_SECONDS = 5;
const lines: string[] = [];
const out = (line = '') => lines.push(line);

async function projectionSection(): Promise<void> {
  const events = Number(values.events);
  const users = Number(values.users);
  log(`projection: ${events} events, ${users} users`);
  const m = await benchProjection({ events, users, partitions: 6, nodeArgs, log });

  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-perf-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  const jarsDir = await fetchKafkaJars(loadStackConfig(process.env).stackDir, createLogger('bench', 'warn'));
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!;
  let producer: { recordsPerSecond: number };
  let consumer: { recordsPerSecond: number };
  try {
    producer = await kafkaProducerBaseline({ jarsDir, brokers, topic, records: events });
    log(`  Kafka ProducerPerformance: ${Math.round(producer.recordsPerSecond)} records/s`);
    consumer = await kafkaConsumerBaseline({ jarsDir, brokers, topic, records: events });
    log(`  Kafka ConsumerPerformance: ${Math.round(consumer.recordsPerSecond)} records/s`);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }

  const env = await createTestEnv({ name: 'benchpg' });
  let upsert: { rowsPerSecond: number };
  let floor: { eventsPerSecond: number; cpu: CpuShare[] };
  const raw: Record<string, { requestsPerSecond: number }> = {};
  try {
    upsert = await postgresUpsertBaseline({
      databaseUrl: env.databaseUrl,
      rows: Math.min(events, 500_000),
      batch: 20_000,
    });
    log(`  PostgreSQL bulk upsert: ${Math.round(upsert.rowsPerSecond)} rows/s`);
    floor = await postgresFloorBaseline({
      databaseUrl: env.databaseUrl,
      events: Math.min(events, 1_000_000),
      users,
      sessions: 3,
      batch: 20_000,
    });
    log(
      `  PostgreSQL floor (1 ledger row + 1 total per event, 3 sessions): ${Math.round(floor.eventsPerSecond)} events/s`,
    );
    // The Redis work a projected total costs, as raw commands over a 1M keyspace, 16 clients, pipelined by 16.
    const key = `${env.redisPrefix}bench-zset`;
    const commands: Record<string, string[]> = {
      ZADD: ['ZADD', key, '__rand_int__', 'member:__rand_int__'],
      ZRANK: ['ZRANK', key, 'member:__rand_int__'],
      'ZRANGE 0 9': ['ZRANGE', key, '0', '9'],
    };
    for (const [name, command] of Object.entries(commands)) {
      raw[name] = await redisBenchmark({
        redisUrl: env.redisUrl,
        clients: 16,
        requests: 1_000_000,
        command,
        options: ['-r', '1000000', '-P', '16'],
      });
      log(`  redis-benchmark ${name} -P 16: ${Math.round(raw[name]!.requestsPerSecond)} req/s`);
    }
  } finally {
    await env.cleanup();
  }

  const p = m.projection;
  const r = m.replay;
  out(`### Projection and replay (${fmt(events)} events, ${fmt(users)} users, 6 partitions, 3 boards)`);
  out();
  out(
    "Boards `global`, `speedrun` (asc/min, daily+weekly), `weekly-kills` (add/weekly): ~1.75 totals per event, projected from a seeded backlog into empty stores, then again by `replay --from-start`. Baselines: Kafka's perf tools, a bulk upsert (unnest, 20,000 rows), the PostgreSQL floor (a ledger row and a total per event, alone), `redis-benchmark` -P 16.",
  );
  out();
  out('| Measure | Rankstream | Baseline | Ratio |');
  out('| --- | --- | --- | --- |');
  out(
    `| Projection, overall | ${fmt(p.eventsPerSecond)} events/s (${p.seconds.toFixed(1)} s) | consumer ${fmt(consumer.recordsPerSecond)}/s | ${ratio(p.eventsPerSecond, consumer.recordsPerSecond)} |`,
  );
  out(
    `| Projection, sustained (10→90 %) | ${fmt(p.sustainedEventsPerSecond)} events/s | upsert ${fmt(upsert.rowsPerSecond)} rows/s | ${ratio(p.sustainedEventsPerSecond, upsert.rowsPerSecond)} |`,
  );
  out(
    `| PostgreSQL floor | ${fmt(p.sustainedEventsPerSecond)} events/s | floor ${fmt(floor.eventsPerSecond)} events/s | ${ratio(p.sustainedEventsPerSecond, floor.eventsPerSecond)} |`,
  );
  out(
    `| Replay | ${fmt(r.eventsPerSecond)} events/s (${r.seconds.toFixed(1)} s) | consumer ${fmt(consumer.recordsPerSecond)}/s | ${ratio(r.eventsPerSecond, consumer.recordsPerSecond)} |`,
  );
  out(
    `| Redis | — | ZADD ${fmt(raw.ZADD?.requestsPerSecond ?? Number.NaN)}/s | ${ratio(p.eventsPerSecond, raw.ZADD?.requestsPerSecond ?? Number.NaN)} |`,
  );
  out(
    `| Seeding via the registry | ${fmt(m.seedEventsPerSecond)} events/s | producer ${fmt(producer.recordsPerSecond)}/s | ${ratio(m.seedEventsPerSecond, producer.recordsPerSecond)} |`,
  );
  out();
  const walText = (run: typeof p) =>
    `${fmt(run.wal.bytes / events / 1024, 1)} KB and ${fmt(run.wal.fullPageImages / events, 2)} full-page images per event`;
  const filled = (name: string) => {
    const x = m.justFilled[name];
    return x ? `${name} ${fmt(x.requestsPerSecond)} req/s, p99 ${fmt(x.latencyMs.p99, 2)} ms` : `${name} —`;
  };
  out(
    `Replay sustained ${fmt(r.sustainedEventsPerSecond)}/s, PostgreSQL complete after ${r.postgresSeconds.toFixed(1)} s. Lag while projecting the backlog: up to ${fmt(p.maxLagEvents)} events, X-Projection-Lag-Ms up to ${fmt(p.maxProjectionLagMs)} ms. Ledger (\`event_ledger\`): ${fmt(p.ledgerBytes.table / events, 1)} B per event with TOAST and index. Write-ahead log (${m.walSettings}): projection ${walText(p)}, replay ${walText(r)}. PostgreSQL alone right after the projection, the projector still running (16 connections, 5 s per call, after 2 s of top-10 that warm the query API but not the rows counted): ${filled('rank')}; ${filled('around-me (radius 5)')}. Redis-benchmark: ZRANK ${fmt(raw.ZRANK?.requestsPerSecond ?? Number.NaN)}/s, ZRANGE 0 9 ${fmt(raw['ZRANGE 0 9']?.requestsPerSecond ?? Number.NaN)}/s.`,
  );
  out();
  const fiveM = 5_000_000 / r.eventsPerSecond;
  out(
    `Targets: ≥ 50,000 events/s sustained: **${p.sustainedEventsPerSecond >= 50_000 ? 'met' : 'missed'}** (PostgreSQL alone, doing the least an event needs with the machine to itself, reached ${fmt(floor.eventsPerSecond)} events/s in this run); replay 5M events in < 120 s (≥ 41,667 events/s): **${r.eventsPerSecond >= 41_667 ? 'met' : 'missed'}** (at this rate 5M take ~${Math.round(fiveM)} s).`,
  );
  out();
  out(`The PostgreSQL floor kept ${totalCores(floor.cpu).toFixed(2)} cores busy.`);
  out();
  out('CPU µs per event (cores × seconds ÷ events; the rows add up to the machine):');
  out();
  out('| Process | Projection | Replay |');
  out('| --- | --- | --- |');
  const perEvent = (run: typeof p, label?: string) => {
    const cores = label === undefined ? totalCores(run.cpu) : (run.cpu.find((c) => c.label === label)?.cores ?? 0);
    return ((cores * run.seconds * 1e6) / events).toFixed(1);
  };
  const labels = [...new Set([...p.cpu, ...r.cpu].filter((c) => c.cores >= 0.01).map((c) => c.label))];
  for (const label of labels) out(`| ${label} | ${perEvent(p, label)} | ${perEvent(r, label)} |`);
  out(
    `| **machine** (${totalCores(p.cpu).toFixed(2)} / ${totalCores(r.cpu).toFixed(2)} cores) | **${perEvent(p)}** | **${perEvent(r)}** |`,
  );
  out();
}

async function querySection(): Promise<void> {
  const users = Number(values['query-users']);
  log(`queries: ${users} users on one board`);
  const env = await createTestEnv({ name: 'benchq', partitions: 6 });
  try {
    const r = await benchQueries({ env, users, seconds: Number(values.seconds), connections: 16, nodeArgs, log });
    out(`### Queries, ${fmt(users)} players on one board, 16 keep-alive connections, ${values.seconds} s per call`);
    out();
    out(
      `State built with generate_series in PostgreSQL (${r.buildSeconds.toFixed(1)} s); Redis filled by the projector's rebuild from PostgreSQL in ${r.rebuildSeconds.toFixed(1)} s (${fmt(users / r.rebuildSeconds)} rows/s).`,
    );
    out();
    const rawFor: Record<string, string> = {
      'top-10': 'ZRANGE 0 9 WITHSCORES',
      rank: 'ZRANK (middle member)',
      'around-me (radius 5)': 'ZRANGE mid-5 mid+5 WITHSCORES',
    };
    const cells = (x: LoadResult | undefined) =>
      x ? `${fmt(x.requestsPerSecond)} | ${fmt(x.latencyMs.p50, 2)} | ${fmt(x.latencyMs.p99, 2)}` : '— | — | —';
    out(
      '| Call | Redis req/s | p50 | p99 | 2 workers | p50 | p99 | floor | p50 | p99 | best ÷ floor | raw command (best ÷ raw) |',
    );
    out('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const name of Object.keys(r.redis)) {
      const a = r.redis[name]!;
      const w = r.redisTwoWorkers[name];
      const floor = r.floor[name];
      const best = Math.max(a.requestsPerSecond, w?.requestsPerSecond ?? 0);
      const rawName = rawFor[name];
      const raw = rawName ? r.raw[rawName] : undefined;
      const rawCell = raw ? `${fmt(raw.requestsPerSecond)} (${ratio(best, raw.requestsPerSecond)})` : '—';
      out(
        `| ${name} | ${cells(a)} | ${cells(w)} | ${cells(floor)} | ${floor ? ratio(best, floor.requestsPerSecond) : '—'} | ${rawCell} |`,
      );
    }
    out();
    out(
      `Latencies in ms; "2 workers": \`QUERY_WORKERS=2\`; the floor: node:http running the same Lua scripts; raw commands by \`redis-benchmark\`: ${Object.values(rawFor).join(', ')}.`,
    );
    out();
    out(
      'CPU µs per request: the serving process(es), Redis, its read scripts (`INFO commandstats`), the load generator.',
    );
    out();
    out('| Call | query API | Redis | scripts | load gen. | 2 workers | Redis | floor | Redis | scripts |');
    out('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const us = (c: CallCost | undefined, k: keyof CallCost) => (c ? fmt(c[k], k === 'redisScriptUs' ? 1 : 0) : '—');
    for (const name of Object.keys(r.redis)) {
      const one = r.costs.redis?.[name];
      const two = r.costs['redis-2-workers']?.[name];
      const floor = r.costs.floor?.[name];
      out(
        `| ${name} | ${us(one, 'serverUs')} | ${us(one, 'redisUs')} | ${us(one, 'redisScriptUs')} | ${us(one, 'loadGeneratorUs')} | ${us(two, 'serverUs')} | ${us(two, 'redisUs')} | ${us(floor, 'serverUs')} | ${us(floor, 'redisUs')} | ${us(floor, 'redisScriptUs')} |`,
      );
    }
    out();
    const families = Object.entries(r.redisBytesPerPlayer.families)
      .map(([k, v]) => `${k} ${fmt(v)} B`)
      .join(', ');
    out(
      `Redis memory after the rebuild: **${fmt(r.redisBytesPerPlayer.total)} B per player** (\`used_memory\` growth ÷ players); by key family (\`MEMORY USAGE\`): ${families}.`,
    );
    out();
    out('From PostgreSQL alone (Redis unreachable); CPU in µs per request:');
    out();
    out('| Call | req/s | p50 | p99 | query API | PostgreSQL | load gen. |');
    out('| --- | --- | --- | --- | --- | --- | --- |');
    for (const name of Object.keys(r.postgres)) {
      const c = r.costs.postgres?.[name];
      out(
        `| ${name} | ${cells(r.postgres[name])} | ${us(c, 'serverUs')} | ${us(c, 'postgresUs')} | ${us(c, 'loadGeneratorUs')} |`,
      );
    }
    out();
    if (r.loadGenerator !== 'wrk') out('Load from a Node closed loop in the bench process (wrk was not available).');
    out();
    const errors = [
      ...Object.values(r.redis),
      ...Object.values(r.redisTwoWorkers),
      ...Object.values(r.floor),
      ...Object.values(r.postgres),
    ].reduce((a, x) => a + x.errors, 0);
    // The targets: each of top-10, rank and around-me at ≥ 10,000 req/s with p99 < 5 ms from
    // Redis (one process or two workers), top-10 at ≥ 25,000, at least the floor on every call, and
    // p99 < 50 ms on every call from PostgreSQL alone.
    const best = (name: string) =>
      [r.redis[name], r.redisTwoWorkers[name]].filter((x): x is LoadResult => x !== undefined && x.latencyMs.p99 < 5);
    const reaches = (name: string, perSecond: number) => best(name).some((x) => x.requestsPerSecond >= perSecond);
    const verdict = (ok: boolean) => (ok ? 'met' : 'missed');
    const redisOk = ['top-10', 'rank', 'around-me (radius 5)'].every((n) => reaches(n, 10_000));
    const floorOk = Object.entries(r.floor).every(
      ([n, f]) =>
        Math.max(r.redis[n]!.requestsPerSecond, r.redisTwoWorkers[n]?.requestsPerSecond ?? 0) >= f.requestsPerSecond,
    );
    const pgOk = Object.values(r.postgres).every((x) => x.latencyMs.p99 < 50);
    out(
      `Targets: top-10, rank and around-me ≥ 10,000 req/s at p99 < 5 ms from Redis: ${verdict(redisOk)}; top-10 ≥ 25,000 req/s: ${verdict(reaches('top-10', 25_000))}; at least the floor server on every call: ${verdict(floorOk)}; PostgreSQL alone p99 < 50 ms on every call: ${verdict(pgOk)}. Non-200 answers: ${errors}.`,
    );
    out();
  } finally {
    await env.cleanup();
  }
}

async function ingestSection(): Promise<void> {
  const clients = 4;
  const batchSize = 1_000;
  log(`ingest: ${clients} clients posting ${batchSize}-event batches`);
  const env = await createTestEnv({ name: 'benchingest', partitions: 6 });
  try {
    const runs: IngestResult[] = [];
    for (const workers of [1, 2]) {
      runs.push(
        await benchIngest({ env, seconds: Number(values.seconds), clients, batchSize, workers, nodeArgs, log }),
      );
    }
    out(
      `### Ingest alone: ${clients} keep-alive clients posting ${fmt(batchSize)}-event batches back to back, ${values.seconds} s`,
    );
    out();
    out('CPU in µs per accepted event; p50 / p99 of POST → 202 (acks=all):');
    out();
    out('| Workers | Accepted | p50 / p99 | ingest-api | Kafka | load gen. | machine (cores) |');
    out('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of runs) {
      const accepted = r.acceptedEventsPerSecond * r.seconds;
      const perEvent = (label?: string) => {
        const cores = label === undefined ? totalCores(r.cpu) : (r.cpu.find((c) => c.label === label)?.cores ?? 0);
        return accepted > 0 ? ((cores * r.seconds * 1e6) / accepted).toFixed(1) : '—';
      };
      out(
        `| ${r.workers} | **${fmt(r.acceptedEventsPerSecond)}/s** (${r.rejectedRequests} refused) | ${fmt(r.latencyMs.p50, 1)} / ${fmt(r.latencyMs.p99, 1)} ms | ${perEvent('ingest-api')} | ${perEvent('kafka broker')} | ${perEvent(BENCH_LABEL)} | ${perEvent()} (${totalCores(r.cpu).toFixed(2)}) |`,
      );
    }
    out();
    const best = Math.max(...runs.map((r) => r.acceptedEventsPerSecond));
    out(`Target: ≥ 50,000 events/s accepted: **${best >= 50_000 ? 'met' : 'missed'}** (best ${fmt(best)}).`);
    out();
  } finally {
    await env.cleanup();
  }
}

async function e2eSection(): Promise<void> {
  log('end to end: 5,000 events/s');
  const env = await createTestEnv({ name: 'benche2e', partitions: 6 });
  try {
    const r = await benchEndToEnd({
      env,
      seconds: Number(values['e2e-seconds']),
      batchSize: 50,
      intervalMs: 10,
      sampleEvery: 2,
      warmupSeconds: E2E_WARMUP_SECONDS,
      log,
    });
    out(
      `### End to end at a steady ${fmt(r.targetEventsPerSecond)} events/s (batches of 50 every 10 ms, ${values['e2e-seconds']} s after ${E2E_WARMUP_SECONDS} s of warm-up)`,
    );
    out();
    out('| Measure | p50 | p99 | max | samples |');
    out('| --- | --- | --- | --- | --- |');
    out(
      `| POST → 202 | ${fmt(r.ingestLatencyMs.p50, 1)} ms | ${fmt(r.ingestLatencyMs.p99, 1)} ms | ${fmt(r.ingestLatencyMs.max, 1)} ms | ${r.ingestLatencyMs.count} |`,
    );
    out(
      `| 202 → visible (\`after=\`) | ${fmt(r.visibleLatencyMs.p50, 1)} ms | ${fmt(r.visibleLatencyMs.p99, 1)} ms | ${fmt(r.visibleLatencyMs.max, 1)} ms | ${r.visibleLatencyMs.count} |`,
    );
    out();
    out(
      `During the warm-up, left out above: 202 → visible p50 ${fmt(r.warmupVisibleLatencyMs.p50, 1)} ms, p99 ${fmt(r.warmupVisibleLatencyMs.p99, 1)} ms, max ${fmt(r.warmupVisibleLatencyMs.max, 1)} ms (${r.warmupVisibleLatencyMs.count} samples).`,
    );
    out();
    out(`CPU (cores of 2) during the load: ${formatShares(r.cpu)}.`);
    out();
    out(
      `Posted ${fmt(r.postedEventsPerSecond)} events/s; ${fmt(r.accepted)} accepted, ${fmt(r.rejected)} rejected; ${r.staleAnswers} answers still stale after the consistency wait.`,
    );
    out();
  } finally {
    await env.cleanup();
  }
}

async function liveSection(): Promise<void> {
  const subscribers = Number(values.subscribers);
  log(`live feeds: ${subscribers} WebSocket subscribers`);
  const env = await createTestEnv({ name: 'benchlive', partitions: 6 });
  try {
    const r = await benchLiveFeeds({ env, subscribers, changes: 20, intervalMs: 500, log });
    out(`### Live feeds: ${fmt(subscribers)} WebSocket subscribers of one board's top 10`);
    out();
    out(
      `${r.changes} events posted ${500} ms apart, each putting a new player on top, timed from the 202 to each subscriber (\`ws\` clients in the bench process, one query API).`,
    );
    out();
    out(
      `Subscribers that got every change: ${fmt(r.held)} of ${fmt(r.subscribers)} (opened in ${fmt(r.connectSeconds, 1)} s); ${fmt(r.rssPerConnectionKb, 1)} kB of query API memory per socket. 202 → delivered: p50 ${fmt(r.deliveryMs.p50, 1)} ms, p99 ${fmt(r.deliveryMs.p99, 1)} ms, max ${fmt(r.deliveryMs.max, 1)} ms (${fmt(r.deliveryMs.count)} deliveries); first to last subscriber p50 ${fmt(r.spreadMs.p50, 1)} ms, p99 ${fmt(r.spreadMs.p99, 1)} ms. ${fmt(r.readsPerChange, 2)} answers read per change; ${fmt(r.queryMicrosPerMessage, 1)} µs of query API CPU per message.`,
    );
    out();
    out(`CPU (cores of 2) during the changes: ${formatShares(r.cpu)}.`);
    out();
  } finally {
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  const memKb = Number(/^MemTotal:\s*(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? Number.NaN);
  out(`## Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out();
  out(
    `Machine: nproc ${availableParallelism()}, ${model}, ${fmt(memKb / 2 ** 20, 1)} GiB (MemTotal ${fmt(memKb)} kB); Node ${process.version}; load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}. Kafka, the registry, PostgreSQL, Redis, the services and the load generator all on this one machine. Command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\`.`,
  );
  out();
  if (only.has('projection')) await projectionSection();
  if (only.has('ingest')) await ingestSection();
  if (only.has('query')) await querySection();
  if (only.has('e2e')) await e2eSection();
  if (only.has('live')) await liveSection();
  const report = lines.join('\n');
  console.log(`\n${report}`);
  if (values['no-write']) return;
  const file = join(REPO_ROOT, 'BENCHMARKS.md');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = `# Benchmarks\n\n${start}\n${end}\n`;
  }
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text =
    i >= 0 && j > i
      ? `${text.slice(0, i + start.length)}\n${report}\n${text.slice(j)}`
      : `${text}\n${start}\n${report}\n${end}\n`;
  writeFileSync(file, text);
  // `npm test` runs `biome check .`, which formats Markdown tables too: a fresh report must pass it.
  execFileSync(join(REPO_ROOT, 'node_modules/.bin/biome'), ['format', '--write', file], { stdio: 'ignore' });
  console.log(`written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
