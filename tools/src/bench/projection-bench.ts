import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { redisKeys } from '@rankstream/schemas';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { waitForCatchUp } from '../replay/projection-progress.js';
import { withSeededWorld } from '../replay/seeded-world.js';
import { freePort, startService, type TestEnv } from '../testing/index.js';
import type { CpuShare } from './cpu-share.js';
import type { LoadResult } from './http-load.js';
import { type WalWritten, walPosition, walSettings, walWrittenSince } from './postgres-wal.js';
import { cpuWindow } from './proc-sampler.js';
import { benchJustFilled } from './query-bench.js';
import { type ProgressSample, sustainedRate } from './stats.js';

const run = promisify(execFile);
const REPLAY_JS = fileURLToPath(new URL('../replay/replay.js', import.meta.url));

export interface ProjectionRun {
  seconds: number;
  eventsPerSecond: number;
  /** Rate between 10 % and 90 % of the backlog applied to PostgreSQL (start-up and tail excluded). */
  sustainedEventsPerSecond: number;
  postgresSeconds: number;
  /** Largest consumer lag seen (events between PostgreSQL's checkpoints and the log end). */
  maxLagEvents: number;
  /** Largest projection lag as the query API computes it (X-Projection-Lag-Ms), from Redis's progress hash. */
  maxProjectionLagMs: number;
  /** The eventId ledger on disk after the run: its entries alone, and the table with TOAST and index. */
  ledgerBytes: { entries: number; table: number };
  /** What PostgreSQL wrote to its log over the run (the whole server; nothing else runs). */
  wal: WalWritten;
  cpu: CpuShare[];
}

export interface ProjectionBenchResult {
  events: number;
  users: number;
  seedSeconds: number;
  seedEventsPerSecond: number;
  projection: ProjectionRun;
  replay: ProjectionRun;
  /** Rank and around-me from PostgreSQL alone right after the first projection caught up. */
  justFilled: Record<string, LoadResult>;
  /** The server's settings that decide its log volume (walSettings). */
  walSettings: string;
}

/** Projection lag per the shared design: per partition 0 if Redis's watermark reached logEnd, else now − caughtUpAt. */
async function projectionLagMs(redis: Redis, prefix: string, now: number): Promise<number> {
  const [progress, wm] = await Promise.all([
    redis.hgetall(redisKeys(prefix).progress),
    redis.hgetall(redisKeys(prefix).watermarks),
  ]);
  let lag = 0;
  for (const [partition, json] of Object.entries(progress)) {
    const p = JSON.parse(json) as { logEnd: number; caughtUpAt: number };
    // caughtUpAt is 0 until a partition first reaches its log end (a backlog from the start): its
    // lag is then unknown, not 55 years; such partitions are counted in the events-behind figure.
    if (Number(wm[partition] ?? 0) < p.logEnd && p.caughtUpAt > 0) lag = Math.max(lag, now - p.caughtUpAt);
  }
  return lag;
}

async function projectOnce(
  env: TestEnv,
  admin: Admin,
  db: pg.Pool,
  redis: Redis,
  events: number,
  nodeArgs: readonly string[],
  log: (line: string) => void,
  /** Runs once both stores have caught up, while the projector still runs. */
  whileCaughtUp?: () => Promise<void>,
): Promise<ProjectionRun> {
  const ends = new Map((await admin.fetchTopicOffsets(env.eventsTopic)).map((o) => [o.partition, Number(o.high)]));
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const samples: ProgressSample[] = [];
  let maxLagEvents = 0;
  let maxProjectionLagMs = 0;
  const walBefore = await walPosition(db);
  const cpu = await cpuWindow();
  const started = performance.now();
  const projector = await startService(
    'score-projector',
    { ...env.env, PROJECTOR_GROUP_ID: `bench-${env.id}` },
    { port: await freePort(), readyTimeoutMs: 60_000, nodeArgs },
  );
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await db.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset FROM projector_offsets WHERE topic = $1',
        [env.eventsTopic],
      );
      const applied = rows.reduce((a, r) => a + Math.min(Number(r.next_offset), ends.get(r.partition) ?? 0), 0);
      samples.push({ seconds: (performance.now() - started) / 1000, applied });
      maxLagEvents = Math.max(maxLagEvents, total - applied);
      maxProjectionLagMs = Math.max(maxProjectionLagMs, await projectionLagMs(redis, env.redisPrefix, Date.now()));
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  try {
    await waitForCatchUp({
      admin,
      db,
      topic: env.eventsTopic,
      onProgress: (n, s) => log(`  ${n} events in PostgreSQL after ${s.toFixed(1)} s`),
    });
    const postgresSeconds = (performance.now() - started) / 1000;
    await waitForCatchUp({ admin, db, topic: env.eventsTopic, redis, redisPrefix: env.redisPrefix });
    const seconds = (performance.now() - started) / 1000;
    const shares = await cpu.stop();
    const wal = await walWrittenSince(db, walBefore);
    sampling = false;
    await sampler;
    await whileCaughtUp?.();
    const { rows: ledger } = await db.query<{ entries: string; total: string }>(
      `SELECT coalesce(sum(octet_length(entries)), 0) AS entries, pg_total_relation_size('event_ledger') AS total
       FROM event_ledger`,
    );
    return {
      seconds,
      eventsPerSecond: events / seconds,
      sustainedEventsPerSecond: sustainedRate(samples, 0.1 * total, 0.9 * total),
      postgresSeconds,
      maxLagEvents,
      maxProjectionLagMs,
      ledgerBytes: { entries: Number(ledger[0]?.entries ?? 0), table: Number(ledger[0]?.total ?? 0) },
      wal,
      cpu: shares,
    };
  } finally {
    sampling = false;
    await sampler.catch(() => {});
    await projector.stop('SIGTERM');
  }
}

/**
 * Seeds `events` score events into a fresh topic through the registry, runs the real projector over the
 * backlog into empty PostgreSQL + Redis, then replays: stops it, runs `replay --from-start` (empties the
 * projections and rewinds the group) and projects everything again. Both timed from the projector's start.
 */
export async function benchProjection(o: {
  events: number;
  users: number;
  partitions: number;
  /** Node flags for the projector process (a CPU profile). */
  nodeArgs?: readonly string[];
  log: (line: string) => void;
}): Promise<ProjectionBenchResult> {
  const world = { name: 'benchproj', partitions: o.partitions, events: o.events, users: o.users };
  return withSeededWorld(world, async ({ env, db, redis, admin, seeded }) => {
    o.log(`  seeded ${o.events} events in ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.eventsPerSecond)}/s)`);
    let justFilled: Record<string, LoadResult> = {};
    const projection = await projectOnce(env, admin, db, redis, o.events, o.nodeArgs ?? [], o.log, async () => {
      justFilled = await benchJustFilled({ env, board: 'global', users: o.users, seconds: 5, log: o.log });
    });
    o.log(`  projected in ${projection.seconds.toFixed(1)} s (${Math.round(projection.eventsPerSecond)} events/s)`);
    await run(process.execPath, [REPLAY_JS, '--from-start'], {
      env: { ...process.env, ...env.env, PROJECTOR_GROUP_ID: `bench-${env.id}` },
      timeout: 120_000,
    });
    const replay = await projectOnce(env, admin, db, redis, o.events, o.nodeArgs ?? [], o.log);
    o.log(`  replayed in ${replay.seconds.toFixed(1)} s (${Math.round(replay.eventsPerSecond)} events/s)`);
    return {
      events: o.events,
      users: o.users,
      seedSeconds: seeded.seconds,
      seedEventsPerSecond: seeded.eventsPerSecond,
      projection,
      replay,
      justFilled,
      walSettings: await walSettings(db),
    };
  });
}
