import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@rankstream/schemas/runtime';
import { measureProjection } from '../replay/measure-projection.js';
import { fetchKafkaJars } from '../stack/maven-artifacts.js';
import { loadStackConfig, REPO_ROOT } from '../stack/stack-config.js';
import { createTestEnv, testKafka } from '../testing/index.js';
import { kafkaConsumerBaseline, kafkaProducerBaseline, postgresUpsertBaseline } from './baselines.js';
import { benchEndToEnd } from './e2e-bench.js';
import { benchQueries } from './query-bench.js';
import { fmt, ratio } from './stats.js';

/**
 * `npm run bench`: measures on this machine, prints as it goes, and rewrites the part of
 * BENCHMARKS.md between the bench markers (the hand-written analysis around it is kept).
 * Needs the stack up (`npm run stack -- up`, or a running `npm start`). Every load is bounded.
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'projection,query,e2e' },
    events: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '200000' },
    'query-users': { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    'e2e-seconds': { type: 'string', default: '30' },
    'no-write': { type: 'boolean', default: false },
  },
});
const only = new Set(values.only.split(','));
const log = (line: string) => console.log(line);
const lines: string[] = [];
const out = (line = '') => lines.push(line);

async function projectionSection(): Promise<void> {
  const events = Number(values.events);
  const users = Number(values.users);
  log(`projection: ${events} events, ${users} users`);
  const m = await measureProjection({ events, users, log });
  log(`  projected in ${m.totalSeconds.toFixed(1)} s: ${Math.round(m.eventsPerSecond)} events/s`);

  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-perf-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  const jarsDir = await fetchKafkaJars(loadStackConfig(process.env).stackDir, createLogger('bench', 'warn'));
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!;
  const producer = await kafkaProducerBaseline({ jarsDir, brokers, topic, records: events });
  log(`  Kafka ProducerPerformance: ${Math.round(producer.recordsPerSecond)} records/s`);
  const consumer = await kafkaConsumerBaseline({ jarsDir, brokers, topic, records: events });
  log(`  Kafka ConsumerPerformance: ${Math.round(consumer.recordsPerSecond)} records/s`);
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();

  const env = await createTestEnv({ name: 'benchpg' });
  const upsert = await postgresUpsertBaseline({
    databaseUrl: env.databaseUrl,
    rows: Math.min(events, 500_000),
    batch: 20_000,
  });
  await env.cleanup();
  log(`  PostgreSQL bulk upsert: ${Math.round(upsert.rowsPerSecond)} rows/s`);

  out(`### Projection and replay (${fmt(events)} events, ${fmt(users)} users, 6 partitions)`);
  out();
  out('| Measure | Rankstream | Raw baseline (same run) | Ratio |');
  out('| --- | --- | --- | --- |');
  out(
    `| Projection of a backlog from the start of the log into empty PostgreSQL + Redis (= replay) | ${fmt(m.eventsPerSecond)} events/s (${m.totalSeconds.toFixed(1)} s) | Kafka ConsumerPerformance ${fmt(consumer.recordsPerSecond)} records/s | ${ratio(m.eventsPerSecond, consumer.recordsPerSecond)} |`,
  );
  out(
    `| … until PostgreSQL alone was complete | ${fmt(m.postgresEventsPerSecond)} events/s | PostgreSQL bulk upsert (totals-shaped table, same indexes) ${fmt(upsert.rowsPerSecond)} rows/s | ${ratio(m.postgresEventsPerSecond, upsert.rowsPerSecond)} |`,
  );
  out(
    `| Seeding through the registry (tools/src/seed) | ${fmt(m.seedEventsPerSecond)} events/s | Kafka ProducerPerformance (acks=all, 100 B) ${fmt(producer.recordsPerSecond)} records/s | ${ratio(m.seedEventsPerSecond, producer.recordsPerSecond)} |`,
  );
  out(
    `| Time to replay ${fmt(events)} events | ${m.totalSeconds.toFixed(1)} s | — | target: 5M in < 120 s, i.e. ≥ 41,667 events/s: ${m.eventsPerSecond >= 41_667 ? 'met' : 'missed'} |`,
  );
  out(`| Target ≥ 50,000 events/s sustained | ${m.eventsPerSecond >= 50_000 ? 'met' : 'missed'} | | |`);
  out();
}

async function querySection(): Promise<void> {
  const users = Number(values['query-users']);
  log(`queries: ${users} users on one board`);
  const env = await createTestEnv({ name: 'benchq', partitions: 6 });
  try {
    const r = await benchQueries({ env, users, seconds: Number(values.seconds), connections: 16, log });
    out(`### Queries, ${fmt(users)} players on one board, 16 keep-alive connections, ${values.seconds} s per call`);
    out();
    out(
      `State built with generate_series in PostgreSQL (${r.buildSeconds.toFixed(1)} s); Redis filled by the projector's rebuild from PostgreSQL in ${r.rebuildSeconds.toFixed(1)} s (${fmt(users / r.rebuildSeconds)} rows/s).`,
    );
    out();
    out(
      '| Call | From Redis: req/s | p50 ms | p99 ms | redis-benchmark of the raw command (16 clients) | Ratio (req/s) | From PostgreSQL alone: req/s | p50 ms | p99 ms |',
    );
    out('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const rawFor: Record<string, string> = {
      'top-10': 'ZRANGE 0 9 WITHSCORES',
      rank: 'ZRANK (middle member)',
      'around-me (radius 5)': 'ZRANGE mid-5 mid+5 WITHSCORES',
    };
    for (const name of Object.keys(r.redis)) {
      const a = r.redis[name]!;
      const p = r.postgres[name]!;
      const raw = r.raw[rawFor[name]!]!;
      out(
        `| ${name} | ${fmt(a.requestsPerSecond)} | ${fmt(a.latencyMs.p50, 2)} | ${fmt(a.latencyMs.p99, 2)} | ${rawFor[name]}: ${fmt(raw.requestsPerSecond)} req/s, p99 ${raw.p99} ms | ${ratio(a.requestsPerSecond, raw.requestsPerSecond)} | ${fmt(p.requestsPerSecond)} | ${fmt(p.latencyMs.p50, 2)} | ${fmt(p.latencyMs.p99, 2)} |`,
      );
    }
    out();
    const redisOk = Object.values(r.redis).every((x) => x.latencyMs.p99 < 5 && x.requestsPerSecond >= 10_000);
    const pgOk = Object.values(r.postgres).every((x) => x.latencyMs.p99 < 50);
    const errors = [...Object.values(r.redis), ...Object.values(r.postgres)].reduce((a, x) => a + x.errors, 0);
    out(
      `Targets: Redis p99 < 5 ms and ≥ 10,000 req/s for each call: ${redisOk ? 'met' : 'missed'}; PostgreSQL p99 < 50 ms: ${pgOk ? 'met' : 'missed'}. Non-200 answers: ${errors}.`,
    );
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
      sampleEvery: 10,
      log,
    });
    out(
      `### End to end at a steady ${fmt(r.targetEventsPerSecond)} events/s (batches of 50 every 10 ms, ${values['e2e-seconds']} s)`,
    );
    out();
    out('| Measure | p50 | p99 | max | samples |');
    out('| --- | --- | --- | --- | --- |');
    out(
      `| POST /v1/events → 202 (acks=all) | ${fmt(r.ingestLatencyMs.p50, 1)} ms | ${fmt(r.ingestLatencyMs.p99, 1)} ms | ${fmt(r.ingestLatencyMs.max, 1)} ms | ${r.ingestLatencyMs.count} |`,
    );
    out(
      `| 202 → visible at the query API (\`?after=<token>\`) | ${fmt(r.visibleLatencyMs.p50, 1)} ms | ${fmt(r.visibleLatencyMs.p99, 1)} ms | ${fmt(r.visibleLatencyMs.max, 1)} ms | ${r.visibleLatencyMs.count} |`,
    );
    out();
    out(
      `Posted ${fmt(r.postedEventsPerSecond)} events/s; ${fmt(r.accepted)} accepted, ${fmt(r.rejected)} rejected; ${r.staleAnswers} answers still stale after the consistency wait.`,
    );
    out();
  } finally {
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  const cpu = cpus();
  const startedAt = new Date();
  out(`## Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out();
  out(
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; Kafka, the registry, PostgreSQL, Redis, the services and the load generator all on this one machine. Command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\`.`,
  );
  out();
  if (only.has('projection')) await projectionSection();
  if (only.has('query')) await querySection();
  if (only.has('e2e')) await e2eSection();
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
  console.log(`written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
