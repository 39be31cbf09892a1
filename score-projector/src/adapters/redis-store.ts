import {
  REDIS_KEY as K,
  profileValue,
  REACHED_AT_DIGITS,
  REDIS_LAYOUT,
  redisKeys,
  toRedisMember,
} from '@rankstream/schemas';
import type { Redis } from '@rankstream/schemas/runtime';
import type { ProfileRow, TotalRow } from '../domain/batch-fold.js';
import { groupByBoardPeriod } from '../domain/board-period-groups.js';
import type { BoardDefinition } from '../domain/ports.js';

/**
 * Bumps the state version (see REDIS_KEY.stateVersion) and tells the readers. The base is random:
 * a version created after a flush must not repeat one a reader still holds.
 */
const BUMP_VERSION = `
local function bump_version(base)
  local key = p .. '${K.stateVersion}'
  redis.call('SET', key, base, 'NX')
  redis.call('PUBLISH', p .. '${K.changes}', redis.call('INCR', key))
end
`;

/**
 * Applies absolute, versioned values. A total is written only when its version (the Kafka offset of
 * the last event applied) is newer than the one in the lbu hash, so replays, retries and a rebuild
 * running next to live batches can never move a value backwards. The lb and lbu keys of a
 * (board, period) are always changed together inside one script, so they stay consistent.
 * Keys are built inside the script from the prefix (single Redis node; not Redis Cluster safe).
 *
 * Totals come grouped by (board, period key), three arguments each (the member, which ends with the
 * userId, the version and the rank score): half the arguments of one field each, which ioredis and
 * Redis both pay for per argument.
 */
const APPLY_SCRIPT = `
local p = ARGV[1]
${BUMP_VERSION}
local i = 2
local written = 0
local groups = tonumber(ARGV[i]); i = i + 1
for _ = 1, groups do
  local lb = p .. '${K.leaderboard}' .. ARGV[i] .. ':' .. ARGV[i+1]
  local lbu = p .. '${K.memberIndex}' .. ARGV[i] .. ':' .. ARGV[i+1]
  local n = tonumber(ARGV[i+2])
  i = i + 3
  for _ = 1, n do
    local member, version, rs = ARGV[i], ARGV[i+1], ARGV[i+2]
    i = i + 3
    local user = string.sub(member, ${REACHED_AT_DIGITS + 2})
    local cur = redis.call('HGET', lbu, user)
    local write = true
    if cur then
      local bar = string.find(cur, '|', 1, true)
      local curVersion = tonumber(string.sub(cur, 1, bar - 1))
      local curMember = string.sub(cur, bar + 1)
      if curVersion > tonumber(version) then
        write = false
      elseif curVersion == tonumber(version) then
        -- Same value already there; heal a sorted set that lost the member.
        write = false
        if not redis.call('ZSCORE', lb, curMember) then redis.call('ZADD', lb, rs, member) end
      else
        redis.call('ZREM', lb, curMember)
      end
    end
    if write then
      redis.call('ZADD', lb, rs, member)
      redis.call('HSET', lbu, user, version .. '|' .. member)
      written = written + 1
    end
  end
end
local m = tonumber(ARGV[i]); i = i + 1
local profiles = p .. '${K.profiles}'
for _ = 1, m do
  local user, version, value = ARGV[i], tonumber(ARGV[i+1]), ARGV[i+2]
  i = i + 3
  -- The stored value starts with its version (profileValue()).
  local cur = redis.call('HGET', profiles, user)
  local curVersion = cur and tonumber(string.match(cur, '^%[(%d+)'))
  if (not curVersion) or curVersion < version then redis.call('HSET', profiles, user, value) end
end
local b = tonumber(ARGV[i]); i = i + 1
for _ = 1, b do
  redis.call('HSET', p .. '${K.boards}', ARGV[i], ARGV[i+1])
  i = i + 2
end
local w = tonumber(ARGV[i]); i = i + 1
for _ = 1, w do
  local part, nextOffset = ARGV[i], tonumber(ARGV[i+1])
  i = i + 2
  local cur = tonumber(redis.call('HGET', p .. '${K.watermarks}', part) or '-1')
  if cur < nextOffset then redis.call('HSET', p .. '${K.watermarks}', part, ARGV[i-1]) end
end
if w + m + b > 0 then bump_version(ARGV[i]) end
return written
`;

/** Deletes an lb/lbu pair together, so that no script ever sees one without the other. */
const DELETE_PAIR_SCRIPT = `
redis.call('DEL', ARGV[1] .. '${K.leaderboard}' .. ARGV[2], ARGV[1] .. '${K.memberIndex}' .. ARGV[2])
return 1
`;

/** Ends a rebuild only if its lock survived (a flush meanwhile deletes the lock, and the rebuild must start over). */
const FINISH_REBUILD_SCRIPT = `
local p = ARGV[1]
${BUMP_VERSION}
if redis.call('GET', p .. '${K.rebuilding}') ~= ARGV[2] then return 0 end
local i = 3
local w = tonumber(ARGV[i]); i = i + 1
for _ = 1, w do
  local part, nextOffset = ARGV[i], tonumber(ARGV[i+1])
  i = i + 2
  local cur = tonumber(redis.call('HGET', p .. '${K.watermarks}', part) or '-1')
  if cur < nextOffset then redis.call('HSET', p .. '${K.watermarks}', part, ARGV[i-1]) end
end
redis.call('SET', p .. '${K.ready}', tostring(ARGV[i]))
redis.call('SET', p .. '${K.layout}', '${REDIS_LAYOUT}')
redis.call('DEL', p .. '${K.rebuilding}')
bump_version(ARGV[i + 1])
return 1
`;

const WRITE_BOARDS_SCRIPT = `
local p = ARGV[1]
${BUMP_VERSION}
local n = tonumber(ARGV[2])
for i = 3, 2 + 2 * n, 2 do redis.call('HSET', p .. '${K.boards}', ARGV[i], ARGV[i + 1]) end
bump_version(ARGV[3 + 2 * n])
return 1
`;

const REFRESH_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Entries per script call: big enough to amortise the round trip, small enough not to block Redis long. */
const TOTALS_PER_CALL = 2_000;

export interface RedisWrite {
  totals: readonly TotalRow[];
  profiles: readonly ProfileRow[];
  boards: readonly BoardDefinition[];
  /** partition → next offset whose effects this write completes. */
  watermarks: ReadonlyMap<number, number>;
}

/** Below 2^48, so that a million bumps a second for a century stay exact JavaScript numbers. */
function versionBase(): string {
  return String(Math.floor(Math.random() * 2 ** 48));
}

export function boardJson(b: BoardDefinition): string {
  return JSON.stringify({ order: b.order, defaultOp: b.defaultOp, periods: b.periods, createdAt: b.createdAt });
}

export function createRedisStore(redis: Redis, prefix: string) {
  const keys = redisKeys(prefix);

  function applyArgs(write: RedisWrite, totals: readonly TotalRow[], profiles: readonly ProfileRow[], last: boolean) {
    const groups = groupByBoardPeriod(totals);
    const args: (string | number)[] = [prefix, groups.length];
    for (const g of groups) {
      args.push(g.board, g.periodKey, g.rows.length);
      for (const t of g.rows) args.push(toRedisMember(t.reachedAt, t.userId), t.version, t.rankScore);
    }
    args.push(profiles.length);
    for (const pr of profiles) args.push(pr.userId, pr.version, profileValue(pr));
    const boards = last ? write.boards : [];
    args.push(boards.length);
    for (const b of boards) args.push(b.board, boardJson(b));
    // The watermark goes with the last chunk only: it must never get ahead of the data.
    const wms = last ? [...write.watermarks] : [];
    args.push(wms.length);
    for (const [partition, next] of wms) args.push(partition, next);
    args.push(versionBase());
    return args;
  }

  return {
    /** Writes the values of a committed transaction; atomic per call, idempotent across calls. */
    async apply(write: RedisWrite): Promise<void> {
      const profileChunk = write.profiles;
      const chunks = Math.max(1, Math.ceil(write.totals.length / TOTALS_PER_CALL));
      for (let c = 0; c < chunks; c++) {
        const totals = write.totals.slice(c * TOTALS_PER_CALL, (c + 1) * TOTALS_PER_CALL);
        const last = c === chunks - 1;
        await redis.eval(APPLY_SCRIPT, 0, ...applyArgs(write, totals, last ? profileChunk : [], last));
      }
    },

    async watermarks(): Promise<Map<number, number>> {
      const raw = await redis.hgetall(keys.watermarks);
      return new Map(Object.entries(raw).map(([p, o]) => [Number(p), Number(o)]));
    },

    async watermark(partition: number): Promise<number> {
      const raw = await redis.hget(keys.watermarks, String(partition));
      return raw === null ? -1 : Number(raw);
    },

    /**
     * Declares the whole projection unusable: readers fall back to PostgreSQL at once, a rebuild in
     * progress cannot finish (its lock is gone), and the next check rebuilds Redis from scratch.
     */
    async discard(): Promise<void> {
      // Told at once, so that readers stop serving what they hold in memory before their next poll.
      await redis.multi().del(keys.ready, keys.rebuilding).publish(keys.changes, 'discarded').exec();
    },

    /** Complete, and in this code's layout: a projection in another one is rebuilt. */
    async isReady(): Promise<boolean> {
      const [ready, layout] = await redis.mget(keys.ready, keys.layout);
      return ready !== null && layout === REDIS_LAYOUT;
    },

    async writeProgress(entries: ReadonlyMap<number, { logEnd: number; caughtUpAt: number; at: number }>) {
      if (entries.size === 0) return;
      const fields: string[] = [];
      for (const [partition, progress] of entries) fields.push(String(partition), JSON.stringify(progress));
      await redis.hset(keys.progress, ...fields);
    },

    /** Mirrors changed board definitions; a new version, as cached answers depend on them. */
    async writeBoards(boards: readonly BoardDefinition[]): Promise<void> {
      if (boards.length === 0) return;
      const args: (string | number)[] = [prefix, boards.length];
      for (const b of boards) args.push(b.board, boardJson(b));
      args.push(versionBase());
      await redis.eval(WRITE_BOARDS_SCRIPT, 0, ...args);
    },

    async tryLock(token: string, ttlMs: number): Promise<boolean> {
      return (await redis.set(keys.rebuilding, token, 'PX', ttlMs, 'NX')) === 'OK';
    },

    async refreshLock(token: string, ttlMs: number): Promise<boolean> {
      return (await redis.eval(REFRESH_LOCK_SCRIPT, 1, keys.rebuilding, token, ttlMs)) === 1;
    },

    async releaseLock(token: string): Promise<void> {
      await redis.eval(
        `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
        1,
        keys.rebuilding,
        token,
      );
    },

    /**
     * Empties the projection (all but the lock and the heartbeat) before a rebuild from scratch, so
     * that whatever a partial flush or eviction left behind cannot survive it.
     */
    async clear(): Promise<void> {
      // UNLINK: the profiles hash holds a field per player, and Redis frees it in the background.
      await redis.unlink(keys.ready, keys.layout, keys.watermarks, keys.boards, keys.stateVersion, keys.profiles);
      for (const kind of ['memberIndex', 'leaderboard'] as const) {
        const start = keys.startOf(kind);
        const pairs = new Set<string>();
        for await (const found of scanKeys(redis, `${start}*`)) {
          for (const k of found) pairs.add(k.slice(start.length));
        }
        for (const pair of pairs) await redis.eval(DELETE_PAIR_SCRIPT, 0, prefix, pair);
      }
      // Left by layout 1, if Redis was last built in it.
      for await (const found of scanKeys(redis, `${keys.startOf('layout1Profile')}*`)) {
        if (found.length) await redis.unlink(...found);
      }
    },

    async finishRebuild(token: string, offsets: ReadonlyMap<number, number>, at: number): Promise<boolean> {
      const args: (string | number)[] = [prefix, token, offsets.size];
      for (const [p, o] of offsets) args.push(p, o);
      args.push(at, versionBase());
      return (await redis.eval(FINISH_REBUILD_SCRIPT, 0, ...args)) === 1;
    },
  };
}

export type RedisStore = ReturnType<typeof createRedisStore>;

async function* scanKeys(redis: Redis, pattern: string): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    yield keys;
  } while (cursor !== '0');
}
