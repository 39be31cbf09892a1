import { join } from 'node:path';
import { redisKeys } from '@rankstream/schemas';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REPO_ROOT } from '../stack/stack-config.js';
import { freePort, recountRankAids, startNodeProcess, startService, type TestEnv } from '../testing/index.js';
import { redisBenchmark } from './baselines.js';
import { BENCH_LABEL, type CpuShare, FLOOR_LABEL, isPostgresLabel } from './cpu-share.js';
import { type LoadResult, runLoad } from './http-load.js';
import { cpuWindow } from './proc-sampler.js';
import { ensureWrk, expandPath, type LoadPath, runWrkLoad } from './wrk-load.js';

export interface QueryBenchResult {
  users: number;
  buildSeconds: number;
  rebuildSeconds: number;
  redis: Record<string, LoadResult>;
  /** The same with QUERY_WORKERS=2 (node:cluster, two processes on the one port). */
  redisTwoWorkers: Record<string, LoadResult>;
  /** The floor: a plain node:http server running the same Lua script per request (query-floor-server.ts). */
  floor: Record<string, LoadResult>;
  postgres: Record<string, LoadResult>;
  raw: Record<string, { requestsPerSecond: number; p50: number; p99: number }>;
  /** Per run and call: what one request cost, measured over that call's load alone. */
  costs: Record<string, Record<string, CallCost>>;
  /** Redis's used_memory per player after the rebuild, and per key family (MEMORY USAGE). */
  redisBytesPerPlayer: { total: number; families: Record<string, number> };
  /** Cores used per process group during each store's load (all three calls, warm-ups included). */
  cpu: Record<string, CpuShare[]>;
  /** What generated the HTTP load: `wrk` or the Node closed loop of http-load.ts. */
  loadGenerator: 'wrk' | 'node';
}

/** CPU µs per request, by who spent them, over one call's load (warm-up excluded). */
export interface CallCost {
  /** The serving process(es): the query API, or the floor server. */
  serverUs: number;
  /** The redis-server process, networking included. */
  redisUs: number;
  /** Redis's own accounting of the read scripts (INFO commandstats: eval + evalsha usec). */
  redisScriptUs: number;
  /** The PostgreSQL backends (for the PostgreSQL-path run). */
  postgresUs: number;
  loadGeneratorUs: number;
}

const BOARD = 'bench';
export const WRK_LABEL = 'wrk';

/**
 * 1M players on one board: rows generated in PostgreSQL (scores drawn from 0..users/4 so ties are
 * common, reachedAt distinct), then Redis filled by the real projector's rebuild from PostgreSQL
 * (Redis has no `ready` key in a fresh prefix). Then top-10, rank and around-me under 16 keep-alive
 * connections, first from Redis, then with Redis unreachable (REDIS_URL on a closed port) so every
 * answer comes from PostgreSQL; and redis-benchmark of the same commands on the same sorted set.
 */
export async function benchQueries(o: {
  env: TestEnv;
  users: number;
  seconds: number;
  connections: number;
  /** Node flags for the single-process query API of the Redis run (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  log: (line: string) => void;
}): Promise<QueryBenchResult> {
  const { env, users, log } = o;
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  const t0 = performance.now();
  await db.query(
    `INSERT INTO boards (board, sort_order, default_op, periods) VALUES ($1, 'desc', 'add', '{}') ON CONFLICT DO NOTHING`,
    [BOARD],
  );
  await db.query(
    `INSERT INTO totals (board, period_key, user_id, score, rank_score, reached_at, event_count, version)
     SELECT $1, 'all', 'player-' || lpad(i::text, 7, '0'), s, -s, 1763000000000 + i, 1, 0
     FROM (SELECT i, (hashint4(i)::bigint & 2147483647) % ($2::bigint / 4 + 1) AS s FROM generate_series(0, $2::int - 1) AS i) AS g`,
    [BOARD, users],
  );
  await recountRankAids(db);
  await db.query('VACUUM ANALYZE totals');
  const buildSeconds = (performance.now() - t0) / 1000;
  log(`  built ${users.toLocaleString('en')} rows in PostgreSQL in ${buildSeconds.toFixed(1)} s`);

  const redis = new Redis(env.redisUrl);
  const usedBefore = await usedMemory(redis);
  const t1 = performance.now();
  const projector = await startService(
    'score-projector',
    { ...env.env, PROJECTOR_GROUP_ID: `bench-${env.id}` },
    {
      port: await freePort(),
      readyTimeoutMs: 120_000,
    },
  );
  let rebuildSeconds = Number.NaN;
  try {
    const deadline = Date.now() + 15 * 60_000;
    while ((await redis.exists(redisKeys(env.redisPrefix).ready)) === 0) {
      if (Date.now() > deadline) throw new Error('Redis was not rebuilt within 15 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    rebuildSeconds = (performance.now() - t1) / 1000;
    log(`  projector rebuilt Redis from PostgreSQL in ${rebuildSeconds.toFixed(1)} s`);
  } finally {
    await projector.stop('SIGTERM');
  }
  const redisBytesPerPlayer = await redisMemoryPerPlayer(redis, env.redisPrefix, users, usedBefore);
  log(
    `  Redis memory: ${redisBytesPerPlayer.total.toFixed(0)} B per player (${Object.entries(
      redisBytesPerPlayer.families,
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ')})`,
  );

  // `{n}` is a random player, drawn for every request (the rows above are player-<7 digits>).
  const paths: Record<string, LoadPath & { floor: boolean }> = {
    'top-10': { template: `/v1/boards/${BOARD}/top?limit=10`, floor: true },
    'top-100 by cursor (page 2)': { template: '', floor: false },
    rank: { template: `/v1/boards/${BOARD}/users/player-{n}`, randomUpTo: users, floor: true },
    'around-me (radius 5)': {
      template: `/v1/boards/${BOARD}/users/player-{n}/around?radius=5`,
      randomUpTo: users,
      floor: true,
    },
    'ranks of 50 users': {
      template: `/v1/boards/${BOARD}/ranks?userIds=${Array(50).fill('player-{n}').join(',')}`,
      randomUpTo: users,
      floor: false,
    },
  };
  const loadGenerator = ensureWrk(log) ? 'wrk' : 'node';
  const load = async (server: RunningServer, path: LoadPath, seconds: number): Promise<LoadResult> => {
    const run = { baseUrl: server.url, path, connections: o.connections, seconds };
    if (loadGenerator === 'node' || !server.countsServedBy) return loadPath(loadGenerator === 'wrk', run);
    // wrk reads no headers, so which store answered comes from the service's own counters.
    const baseUrl = server.url;
    const before = await servedByCounts(baseUrl);
    const result = await loadPath(true, run);
    const after = await servedByCounts(baseUrl);
    for (const [store, n] of Object.entries(after)) {
      if (n > (before[store] ?? 0)) result.servedBy[store] = n - (before[store] ?? 0);
    }
    return result;
  };
  const cpu: Record<string, CpuShare[]> = {};
  const costs: Record<string, Record<string, CallCost>> = {};
  const measure = async (server: RunningServer, label: string) => {
    const results: Record<string, LoadResult> = {};
    costs[label] = {};
    // The server is stopped after the window closes, so the bench's exited children are the wrk runs.
    const window = await cpuWindow(WRK_LABEL);
    try {
      for (const [name, call] of Object.entries(paths)) {
        if (!server.countsServedBy && !call.floor) continue;
        const path = call.template ? call : await secondPageByCursor(server.url);
        await load(server, path, 2); // warm-up
        await redis.config('RESETSTAT');
        const callWindow = await cpuWindow(WRK_LABEL);
        results[name] = await load(server, path, o.seconds);
        const shares = await callWindow.stop();
        const r = results[name];
        const us = (counted: (label: string) => boolean) =>
          (shares.filter((x) => counted(x.label)).reduce((a, x) => a + x.cores, 0) * 1e6) / r.requestsPerSecond;
        const among =
          (...labels: string[]) =>
          (label: string) =>
            labels.includes(label);
        costs[label][name] = {
          serverUs: us(among('query-api', FLOOR_LABEL)),
          redisUs: us(among('redis')),
          redisScriptUs: (await scriptMicros(redis)) / r.requests,
          postgresUs: us(isPostgresLabel),
          loadGeneratorUs: us(among(WRK_LABEL, BENCH_LABEL)),
        };
        const c = costs[label][name];
        log(
          `  ${label} ${name}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, ` +
            `p99 ${r.latencyMs.p99.toFixed(2)} ms, errors ${r.errors}, served by ${JSON.stringify(r.servedBy)}; ` +
            `CPU µs/req: server ${c.serverUs.toFixed(0)}, redis ${c.redisUs.toFixed(0)} ` +
            `(scripts ${c.redisScriptUs.toFixed(1)}), load generator ${c.loadGeneratorUs.toFixed(0)}`,
        );
      }
      cpu[label] = await window.stop();
    } finally {
      await server.stop();
    }
    return results;
  };
  const queryApi = async (queryEnv: Record<string, string>, nodeArgs?: readonly string[]): Promise<RunningServer> => {
    const query = await startService(
      'query-api',
      { ...env.env, QUERY_RATE_LIMIT_PER_S: '0', ...queryEnv },
      { port: await freePort(), ...(nodeArgs ? { nodeArgs } : {}) },
    );
    return { url: query.url, countsServedBy: true, stop: () => query.stop('SIGTERM') };
  };
  const redisResults = await measure(await queryApi({}, o.nodeArgs), 'redis');
  const redisTwoWorkers = await measure(await queryApi({ QUERY_WORKERS: '2' }), 'redis-2-workers');
  const floor = await measure(await startFloorServer(env), 'floor');
  const postgresResults = await measure(await queryApi({ REDIS_URL: 'redis://127.0.0.1:1' }), 'postgres');

  const zset = redisKeys(env.redisPrefix).leaderboard(BOARD, 'all');
  const middle = (await redis.zrange(zset, Math.floor(users / 2), Math.floor(users / 2)))[0] ?? '';
  const requests = 200_000;
  const raw = {
    'ZRANGE 0 9 WITHSCORES': await redisBenchmark({
      redisUrl: env.redisUrl,
      clients: o.connections,
      requests,
      command: ['ZRANGE', zset, '0', '9', 'WITHSCORES'],
    }),
    'ZRANK (middle member)': await redisBenchmark({
      redisUrl: env.redisUrl,
      clients: o.connections,
      requests,
      command: ['ZRANK', zset, middle],
    }),
    'ZRANGE mid-5 mid+5 WITHSCORES': await redisBenchmark({
      redisUrl: env.redisUrl,
      clients: o.connections,
      requests,
      command: ['ZRANGE', zset, String(Math.floor(users / 2) - 5), String(Math.floor(users / 2) + 5), 'WITHSCORES'],
    }),
  };
  for (const [name, r] of Object.entries(raw)) {
    log(`  redis-benchmark ${name}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
  }
  redis.disconnect();
  await db.end();
  return {
    users,
    buildSeconds,
    rebuildSeconds,
    redis: redisResults,
    redisTwoWorkers,
    floor,
    postgres: postgresResults,
    raw,
    cpu,
    costs,
    redisBytesPerPlayer,
    loadGenerator,
  };
}

/** A bounded load on one path with wrk, or with the Node load generator where wrk is missing. */
function loadPath(
  wrk: boolean,
  o: { baseUrl: string; path: LoadPath; connections: number; seconds: number },
): Promise<LoadResult> {
  if (wrk) return runWrkLoad(o);
  return runLoad({
    baseUrl: o.baseUrl,
    path: () => expandPath(o.path),
    connections: o.connections,
    seconds: o.seconds,
  });
}

/** A cursor path to the second page of top-100, from the server itself (the same for every request). */
async function secondPageByCursor(baseUrl: string): Promise<LoadPath> {
  const first = (await (await fetch(new URL(`/v1/boards/${BOARD}/top?limit=100`, baseUrl))).json()) as {
    nextCursor?: string;
  };
  if (!first.nextCursor) throw new Error('the first page of top-100 has no nextCursor');
  return { template: `/v1/boards/${BOARD}/top?limit=100&cursor=${first.nextCursor}` };
}

/** µs Redis spent in read scripts since the last RESETSTAT (their inner commands are inside them). */
async function scriptMicros(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_(eval|evalsha|evalsha_ro|eval_ro):calls=\d+,usec=(\d+)/gm)) {
    usec += Number(m[2]);
  }
  return usec;
}

/** Redis's used_memory per player, and MEMORY USAGE of each key family of one board. */
async function redisMemoryPerPlayer(
  redis: Redis,
  prefix: string,
  users: number,
  usedBefore: number,
): Promise<{ total: number; families: Record<string, number> }> {
  const keys = redisKeys(prefix);
  const used = await usedMemory(redis);
  const usage = async (key: string) => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  return {
    total: (used - usedBefore) / users,
    families: {
      'sorted set (lb)': (await usage(keys.leaderboard(BOARD, 'all'))) / users,
      'member index (lbu)': (await usage(keys.memberIndex(BOARD, 'all'))) / users,
    },
  };
}

async function usedMemory(redis: Redis): Promise<number> {
  const m = /^used_memory:(\d+)/m.exec(await redis.info('memory'));
  return Number(m?.[1] ?? 0);
}

export interface RunningServer {
  url: string;
  /** Whether it has the query API's /metrics to count which store answered. */
  countsServedBy: boolean;
  stop(): Promise<unknown>;
}

/** Starts query-floor-server.js on a Redis state and waits until it answers. */
export async function startFloorServer(env: { redisUrl: string; redisPrefix: string }): Promise<RunningServer> {
  const port = await freePort();
  // The built file, also when this module runs from source under vitest.
  const floor = await startNodeProcess(
    'the floor server',
    join(REPO_ROOT, 'tools/dist/bench/query-floor-server.js'),
    { REDIS_URL: env.redisUrl, REDIS_PREFIX: env.redisPrefix, FLOOR_PORT: String(port) },
    { port },
  );
  return { url: floor.url, countsServedBy: false, stop: () => floor.stop('SIGTERM') };
}

/** Requests answered so far per X-Served-By value, summed over routes, from the service's /metrics. */
async function servedByCounts(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^query_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = m[1]!;
    if (labels.includes('route="/metrics"')) continue; // these scrapes themselves
    const store = /served_by="([^"]*)"/.exec(labels)?.[1] ?? 'none';
    counts[store] = (counts[store] ?? 0) + Number(m[2]);
  }
  return counts;
}

/**
 * Rank and around-me from PostgreSQL alone (Redis unreachable) on tables the projector has just
 * filled, while it still runs: no vacuum yet but its own, statistics and rank aids fresh. Players are
 * `player-<n>` (unpadded) on `board`.
 */
export async function benchJustFilled(o: {
  env: TestEnv;
  board: string;
  users: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<Record<string, LoadResult>> {
  const query = await startService(
    'query-api',
    { ...o.env.env, QUERY_RATE_LIMIT_PER_S: '0', REDIS_URL: 'redis://127.0.0.1:1' },
    { port: await freePort() },
  );
  const results: Record<string, LoadResult> = {};
  try {
    const paths: Record<string, LoadPath> = {
      rank: { template: `/v1/boards/${o.board}/users/player-{n}`, randomUpTo: o.users, digits: 0 },
      'around-me (radius 5)': {
        template: `/v1/boards/${o.board}/users/player-{n}/around?radius=5`,
        randomUpTo: o.users,
        digits: 0,
      },
    };
    const wrk = ensureWrk(o.log);
    // A long-running service is warm: its code compiled and its pool connected. The warm-up reads
    // only the first page, so the rows that rank and around-me count stay as the projector left them.
    const warmUp = { template: `/v1/boards/${o.board}/top?limit=10` };
    await loadPath(wrk, { baseUrl: query.url, path: warmUp, connections: 16, seconds: 2 });
    for (const [name, path] of Object.entries(paths)) {
      const r = await loadPath(wrk, { baseUrl: query.url, path, connections: 16, seconds: o.seconds });
      results[name] = r;
      o.log(
        `  PostgreSQL just filled, ${name}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms (non-2xx: ${r.errors}, players without a score)`,
      );
    }
  } finally {
    await query.stop('SIGTERM');
  }
  return results;
}
