import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { cpuWindow } from './proc-sampler.js';

const run = promisify(execFile);

/** Kafka's own producer perf tool on the same broker: records/s with acks=all, 100-byte records. */
export async function kafkaProducerBaseline(o: { jarsDir: string; brokers: string; topic: string; records: number }) {
  const { stdout } = await run(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${o.jarsDir}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      o.topic,
      '--num-records',
      String(o.records),
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${o.brokers}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  const match = /([\d.]+) records\/sec/.exec(last);
  return { recordsPerSecond: match ? Number(match[1]) : Number.NaN, line: last };
}

/** Kafka's own consumer perf tool: records/s reading the same topic from the start. */
export async function kafkaConsumerBaseline(o: { jarsDir: string; brokers: string; topic: string; records: number }) {
  const { stdout } = await run(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${o.jarsDir}/*`,
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      o.brokers,
      '--topic',
      o.topic,
      '--messages',
      String(o.records),
      '--timeout',
      '120000',
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
  );
  const lines = stdout.trim().split('\n');
  const header =
    lines
      .find((l) => l.includes('nMsg.sec'))
      ?.split(',')
      .map((s) => s.trim()) ?? [];
  const values =
    lines
      .at(-1)
      ?.split(',')
      .map((s) => s.trim()) ?? [];
  const idx = header.indexOf('nMsg.sec');
  return { recordsPerSecond: idx >= 0 ? Number(values[idx]) : Number.NaN, line: lines.at(-1) ?? '' };
}

/** redis-benchmark of one command at `clients` connections: requests/s and its own p50/p99 (ms). */
export async function redisBenchmark(o: {
  redisUrl: string;
  clients: number;
  requests: number;
  command: string[];
  /** e.g. `['-P', '16']` (pipelining) or `['-r', '1000000']` (keyspace for __rand_int__). */
  options?: string[];
}) {
  const url = new URL(o.redisUrl);
  const { stdout } = await run(
    'redis-benchmark',
    [
      '-h',
      url.hostname,
      '-p',
      url.port || '6379',
      '-c',
      String(o.clients),
      '-n',
      String(o.requests),
      '--csv',
      ...(o.options ?? []),
      ...o.command,
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
  );
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const row = stdout
    .trim()
    .split('\n')
    .pop()!
    .split('","')
    .map((s) => s.replaceAll('"', ''));
  return { requestsPerSecond: Number(row[1]), p50: Number(row[4]), p99: Number(row[6]) };
}

/**
 * A plain bulk upsert into a table shaped like `totals` (same key, same rank index): the PostgreSQL
 * work the projector cannot avoid, without decoding, dedup or folding. Inserts then updates `rows`.
 */
export async function postgresUpsertBaseline(o: { databaseUrl: string; rows: number; batch: number }) {
  const client = new pg.Client({ connectionString: o.databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS bench_upsert`);
    await client.query(`CREATE TABLE bench_upsert (LIKE totals INCLUDING ALL)`);
    const started = performance.now();
    for (const pass of [0, 1]) {
      for (let from = 0; from < o.rows; from += o.batch) {
        const n = Math.min(o.batch, o.rows - from);
        const users = Array.from({ length: n }, (_, i) => `user-${from + i}`);
        const scores = users.map((_, i) => (from + i) * 7 + pass * 13);
        await client.query(
          `INSERT INTO bench_upsert (board, period_key, user_id, score, rank_score, reached_at, event_count, version)
           SELECT 'b', 'all', u, s, -s, 1700000000000 + s, 1, 0 FROM unnest($1::text[], $2::bigint[]) AS t(u, s)
           ON CONFLICT (board, period_key, user_id) DO UPDATE SET score = EXCLUDED.score,
             rank_score = EXCLUDED.rank_score, reached_at = EXCLUDED.reached_at,
             event_count = bench_upsert.event_count + 1, version = EXCLUDED.version`,
          [users, scores],
        );
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return { rowsPerSecond: (2 * o.rows) / seconds };
  } finally {
    await client.query(`DROP TABLE IF EXISTS bench_upsert`).catch(() => {});
    await client.end();
  }
}

/**
 * The least PostgreSQL work any event costs under the projection's semantics, with nothing else on
 * the machine: one eventId ledger row (INSERT … ON CONFLICT DO NOTHING, to count it once forever) and
 * one all-time total (upsert into a `totals`-shaped table with the same key and rank index) per event,
 * one transaction per `batch` events, `sessions` transactions at a time on disjoint users (as the
 * projector's partitions are). No decoding, no Kafka, no Redis, no periods, no rank aids: the real
 * projector does all of this and more per event, so its rate cannot exceed this one on this machine.
 */
export async function postgresFloorBaseline(o: {
  databaseUrl: string;
  events: number;
  users: number;
  sessions: number;
  batch: number;
}) {
  const setup = new pg.Client({ connectionString: o.databaseUrl });
  await setup.connect();
  const clients: pg.Client[] = [];
  try {
    await setup.query(`DROP TABLE IF EXISTS bench_floor_totals, bench_floor_events`);
    await setup.query(`CREATE TABLE bench_floor_totals (LIKE totals INCLUDING ALL)`);
    await setup.query(`CREATE TABLE bench_floor_events (LIKE processed_events INCLUDING ALL)`);
    for (let s = 0; s < o.sessions; s++) {
      const client = new pg.Client({ connectionString: o.databaseUrl });
      await client.connect();
      clients.push(client);
    }
    const perSession = Math.ceil(o.events / o.sessions);
    const usersPerSession = Math.max(1, Math.floor(o.users / o.sessions));
    // Closed before the sessions end: an exited backend's CPU time can no longer be read.
    const cpu = await cpuWindow();
    const started = performance.now();
    await Promise.all(
      clients.map(async (client, s) => {
        for (let from = 0; from < perSession; from += o.batch) {
          const n = Math.min(o.batch, perSession - from);
          const eventIds: string[] = [];
          const sums = new Map<string, number>();
          for (let i = from; i < from + n; i++) {
            eventIds.push(`floor-${s}-${String(i).padStart(10, '0')}`);
            const user = `s${s}-user-${(i * 7919) % usersPerSession}`;
            sums.set(user, (sums.get(user) ?? 0) + (i % 100));
          }
          await client.query('BEGIN');
          await client.query(
            'INSERT INTO bench_floor_events (event_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING',
            [eventIds],
          );
          await client.query(
            `INSERT INTO bench_floor_totals (board, period_key, user_id, score, rank_score, reached_at, event_count, version)
             SELECT 'b', 'all', u, s, -s, $3, 1, $3 FROM unnest($1::text[], $2::bigint[]) AS t(u, s)
             ON CONFLICT (board, period_key, user_id) DO UPDATE SET score = bench_floor_totals.score + EXCLUDED.score,
               rank_score = -(bench_floor_totals.score + EXCLUDED.score), reached_at = EXCLUDED.reached_at,
               event_count = bench_floor_totals.event_count + 1, version = EXCLUDED.version`,
            [[...sums.keys()], [...sums.values()], from],
          );
          await client.query('COMMIT');
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { eventsPerSecond: (perSession * o.sessions) / seconds, cpu: await cpu.stop() };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await setup.query(`DROP TABLE IF EXISTS bench_floor_totals, bench_floor_events`).catch(() => {});
    await setup.end();
  }
}
