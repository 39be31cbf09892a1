import {
  fromProfileValue,
  fromRankScore,
  fromRedisMember,
  fromTieKey,
  type RankOrder,
  redisKeys,
} from '@rankstream/schemas';
import { type Redis, scanKeys } from '@rankstream/schemas/runtime';
import type { TestEnv } from '@rankstream/tools/testing';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { expect } from 'vitest';
import type { ExpectedProfile, ExpectedTotal, RankedUser } from './oracle.js';

export async function postgresTotals(db: pg.Pool): Promise<Map<string, ExpectedTotal>> {
  const { rows } = await db.query(
    'SELECT board, period_key, user_id, score, reached_at, event_count, version, details, tiebreaks FROM totals',
  );
  return new Map(
    rows.map((r) => [
      `${r.board}/${r.period_key}/${r.user_id}`,
      {
        score: r.score,
        reachedAt: r.reached_at,
        eventCount: r.event_count,
        version: r.version,
        ...(r.details === null ? {} : { details: r.details }),
        ...(r.tiebreaks === null ? {} : { tiebreaks: r.tiebreaks.map(Number) }),
      },
    ]),
  );
}

/** period_counts summed over partitions, as board/periodKey → players. */
export async function postgresPeriodCounts(db: pg.Pool): Promise<Map<string, number>> {
  // An instance whose players all left keeps its row (the projector lists emptied instances): not an instance.
  const { rows } = await db.query(
    'SELECT board, period_key, sum(players) AS players FROM period_counts GROUP BY 1, 2 HAVING sum(players) <> 0',
  );
  return new Map(rows.map((r) => [`${r.board}/${r.period_key}`, Number(r.players)]));
}

/**
 * rank_bucket_counts and rank_group_counts summed over partitions, as bucket|group/board/periodKey/start
 * → players (empty ones left out).
 */
export async function postgresRankBuckets(db: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await db.query(
    `SELECT 'bucket' AS kind, board, period_key, bucket_start AS start, sum(players) AS players FROM rank_bucket_counts
     GROUP BY 1, 2, 3, 4
     UNION ALL SELECT 'group', board, period_key, group_start, sum(players) FROM rank_group_counts GROUP BY 1, 2, 3, 4`,
  );
  return new Map(
    rows
      .filter((r) => Number(r.players) !== 0)
      .map((r) => [`${r.kind}/${r.board}/${r.period_key}/${r.start}`, Number(r.players)]),
  );
}

/** What postgresRankBuckets should find: the totals rows counted per bucket and group by the SQL definitions. */
export async function recountedRankBuckets(db: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await db.query(
    `SELECT 'bucket' AS kind, board, period_key, rank_bucket_start(rank_score) AS start, count(*) AS players
     FROM totals GROUP BY 1, 2, 3, 4
     UNION ALL SELECT 'group', board, period_key, rank_group_start(rank_score), count(*) FROM totals GROUP BY 1, 2, 3, 4`,
  );
  return new Map(rows.map((r) => [`${r.kind}/${r.board}/${r.period_key}/${r.start}`, Number(r.players)]));
}

export async function postgresProfiles(db: pg.Pool): Promise<Map<string, ExpectedProfile>> {
  const { rows } = await db.query('SELECT user_id, username, image_url, region, version FROM profiles');
  return new Map(
    rows.map((r) => [r.user_id, { username: r.username, imageUrl: r.image_url, region: r.region, version: r.version }]),
  );
}

export async function postgresOffsets(db: pg.Pool, topic: string): Promise<Map<number, number>> {
  const { rows } = await db.query('SELECT partition, next_offset FROM projector_offsets WHERE topic = $1', [topic]);
  return new Map(rows.map((r) => [r.partition, r.next_offset]));
}

async function keys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of scanKeys(redis, pattern)) found.push(...batch);
  return found.sort();
}

/** `board:periodKey` from the `{board:periodKey}` a board instance's keys end with. */
function instanceName(tagged: string): string {
  return tagged.replace(/^\{(.*)\}$/, '$1');
}

/** Every sorted set under the prefix, decoded back to (userId, score, reachedAt) in ZRANGE order. */
export async function redisBoards(
  redis: Redis,
  prefix: string,
  orders: ReadonlyMap<string, RankOrder>,
  tieOrders: ReadonlyMap<string, readonly RankOrder[]> = new Map(),
): Promise<Map<string, RankedUser[]>> {
  const boards = new Map<string, RankedUser[]>();
  const start = redisKeys(prefix).startOf('leaderboard');
  for (const key of await keys(redis, `${start}*`)) {
    const name = instanceName(key.slice(start.length));
    const board = name.slice(0, name.indexOf(':'));
    const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
    const list: RankedUser[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const { userId, reachedAt, tieKey } = fromRedisMember(flat[i] as string);
      const user: RankedUser = {
        userId,
        reachedAt,
        score: fromRankScore(orders.get(board) ?? 'desc', Number(flat[i + 1])),
      };
      const columns = tieOrders.get(board) ?? [];
      if (columns.length > 0) user.tiebreaks = fromTieKey(columns, tieKey);
      list.push(user);
    }
    boards.set(name, list);
  }
  return boards;
}

/** The lbu hashes: board:periodKey → userId → "version|member". */
export async function redisVersions(redis: Redis, prefix: string): Promise<Map<string, Record<string, string>>> {
  const result = new Map<string, Record<string, string>>();
  const start = redisKeys(prefix).startOf('memberIndex');
  for (const key of await keys(redis, `${start}*`)) {
    result.set(instanceName(key.slice(start.length)), await redis.hgetall(key));
  }
  return result;
}

export async function redisProfiles(redis: Redis, prefix: string): Promise<Map<string, ExpectedProfile>> {
  const result = new Map<string, ExpectedProfile>();
  for (const [userId, value] of Object.entries(await redis.hgetall(redisKeys(prefix).profiles))) {
    // An erased user's tombstone: `[version]`, no profile.
    if (/^\[\d+\]$/.test(value)) continue;
    const p = fromProfileValue(value);
    if (!p) throw new Error(`not a profile value for ${userId}: ${value}`);
    result.set(userId, p);
  }
  // Nothing may be left in layout 1's keys.
  expect(await keys(redis, `${redisKeys(prefix).startOf('layout1Profile')}*`)).toEqual([]);
  return result;
}

export async function logEndOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

/**
 * Waits until PostgreSQL's checkpoints and Redis's watermarks reach the log end of every partition
 * and Redis is marked ready — the projection has seen everything produced.
 */
export async function waitForProjection(
  env: TestEnv,
  deps: { db: pg.Pool; redis: Redis; admin: Admin },
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const ends = await logEndOffsets(deps.admin, env.eventsTopic);
    const pgOffsets = await postgresOffsets(deps.db, env.eventsTopic);
    const wm = await deps.redis.hgetall(redisKeys(env.redisPrefix).watermarks);
    const ready = (await deps.redis.exists(redisKeys(env.redisPrefix).ready)) === 1;
    const done =
      ready &&
      [...ends].every(
        ([p, end]) => end === 0 || ((pgOffsets.get(p) ?? 0) >= end && Number(wm[String(p)] ?? -1) >= end),
      );
    if (done) return;
    last = JSON.stringify({ ends: [...ends], pg: [...pgOffsets], wm, ready });
    if (Date.now() > deadline) throw new Error(`projection did not catch up: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
