import {
  ALL_TIME,
  type BoardSchedule,
  EARLIER_LAYOUT_KEYS,
  EMPTY_SCHEDULE,
  ERASED_PROFILE_VERSION,
  epochMarkers,
  globalKeyOf,
  isKeptInstance,
  LUA_MEMBER_INDEX,
  LUA_MEMBER_USER,
  layoutMark,
  type PeriodCalendar,
  profileValue,
  redisKeys,
  regionOfKey,
  toRedisMember,
} from '@rankstream/schemas';
import { type Cluster, isCluster, perKeyPipelined, type Redis, unlinkMatching } from '@rankstream/schemas/runtime';
import type { ProfileRow, RemovedTotal, TotalRow } from '../domain/batch-fold.js';
import { groupByBoardPeriod } from '../domain/board-period-groups.js';
import type { BoardDefinition, InstanceCount } from '../domain/ports.js';
import { TOP_K_SCRIPTS } from './redis-top-k.js';

/**
 * Every script names its keys in KEYS, and they share one hash tag (REDIS_KEY): on a Redis Cluster
 * each call runs on the master of that slot. A batch is written slot by slot: each board instance's
 * totals, then the profiles, then the state (boards, watermarks, version), last, so that a watermark
 * never claims data that is not there yet.
 */

/**
 * Applies absolute, versioned values to one board instance: KEYS = lb, lbu; ARGV = (member, version,
 * rank score, details) quadruples, the member ending with the userId, details '' for none. A total is written only when its version
 * (the Kafka offset of the last event applied) is newer than the one in the lbu hash, so replays,
 * retries and a rebuild running next to live batches can never move a value backwards. The lb and
 * lbu keys are always changed together inside one script, so they stay consistent.
 *
 * An empty rank score is a removal (an admin's remove_entry): the member leaves the sorted set and
 * the lbu entry becomes a tombstone, `<version>|`, which readers take for an absent user and which
 * keeps an older value (a rebuild's snapshot taken before the removal) from coming back.
 */
const APPLY_TOTALS_SCRIPT = `${LUA_MEMBER_INDEX}
${LUA_MEMBER_USER}
local lb, lbu = KEYS[1], KEYS[2]
local written = 0
for i = 1, #ARGV, 4 do
  local member, version, rs, details = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local user = member_user(member)
  local cur = redis.call('HGET', lbu, user)
  local write = true
  if cur then
    local v, curMember = index_parts(cur)
    local curVersion = tonumber(v)
    if curVersion > tonumber(version) then
      write = false
    elseif curVersion == tonumber(version) then
      -- Same value already there; heal a sorted set that lost the member.
      write = false
      if rs ~= '' and not redis.call('ZSCORE', lb, curMember) then redis.call('ZADD', lb, rs, member) end
    elseif curMember ~= '' then
      redis.call('ZREM', lb, curMember)
    end
  end
  if write and rs == '' then
    redis.call('HSET', lbu, user, version .. '|')
  elseif write then
    redis.call('ZADD', lb, rs, member)
    redis.call('HSET', lbu, user, index_value(version, member, details))
    written = written + 1
  end
end
return written
`;

/**
 * A rebuild's pass over the removed totals: KEYS = lb, lbu; ARGV = (userId, version) pairs. An entry
 * older than its removal leaves, with its member index entry; nothing is written for a user the
 * instance does not hold, so a capped instance's guards for absent users stay whole.
 */
const DROP_REMOVED_SCRIPT = `${LUA_MEMBER_INDEX}
for i = 1, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[2], ARGV[i])
  if cur then
    local version, member = index_parts(cur)
    if tonumber(version) < tonumber(ARGV[i+1]) then
      if member ~= '' then redis.call('ZREM', KEYS[1], member) end
      redis.call('HDEL', KEYS[2], ARGV[i])
    end
  end
end
return 1
`;

/** KEYS = profiles; ARGV = (userId, version, value) triples. The stored value starts with its version (profileValue()). */
const APPLY_PROFILES_SCRIPT = `
for i = 1, #ARGV, 3 do
  local user, version, value = ARGV[i], tonumber(ARGV[i+1]), ARGV[i+2]
  local cur = redis.call('HGET', KEYS[1], user)
  local curVersion = cur and tonumber(string.match(cur, '^%[(%d+)'))
  if (not curVersion) or curVersion < version then redis.call('HSET', KEYS[1], user, value) end
end
return 1
`;

/**
 * Bumps the state version and tells the readers (ARGV[1] the channel, ARGV[2] a random base: a
 * version created after a flush must not repeat one a reader still holds). KEYS[n] is the version.
 */
const BUMP_VERSION = `
local function bump_version(key, channel, base)
  redis.call('SET', key, base, 'NX')
  redis.call('PUBLISH', channel, redis.call('INCR', key))
end
local function advance_watermarks(wm, i)
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    local cur = tonumber(redis.call('HGET', wm, ARGV[i]) or '-1')
    if cur < tonumber(ARGV[i+1]) then redis.call('HSET', wm, ARGV[i], ARGV[i+1]) end
    i = i + 2
  end
  return i
end
`;

/**
 * The state after a batch's data: KEYS = boards, wm, version; ARGV = channel, base, then the boards
 * (count, then name and JSON pairs), then the watermarks (count, then partition and offset pairs).
 */
const ADVANCE_SCRIPT = `${BUMP_VERSION}
local i = 3
local b = tonumber(ARGV[i]); i = i + 1
for _ = 1, b do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1])
  i = i + 2
end
advance_watermarks(KEYS[2], i)
bump_version(KEYS[3], ARGV[1], ARGV[2])
return 1
`;

/**
 * Ends a rebuild only if its lock survived (a flush meanwhile deletes the lock, and the rebuild must
 * start over). KEYS = rebuilding, wm, ready, layout, version; ARGV = channel, base, token, epoch,
 * layout mark, then the watermarks.
 */
const FINISH_REBUILD_SCRIPT = `${BUMP_VERSION}
if redis.call('GET', KEYS[1]) ~= ARGV[3] then return 0 end
advance_watermarks(KEYS[2], 6)
redis.call('SET', KEYS[3], ARGV[4])
redis.call('SET', KEYS[4], ARGV[5])
redis.call('DEL', KEYS[1])
bump_version(KEYS[5], ARGV[1], ARGV[2])
return 1
`;

const REFRESH_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Entries per script call: big enough to amortise the round trip, small enough not to block Redis long. */
const TOTALS_PER_CALL = 2_000;

/** How long a full read of a cluster's epoch markers is trusted while no master changed. */
const MARKERS_RECHECK_MS = 30_000;

export interface RedisWrite {
  totals: readonly TotalRow[];
  /** Totals an admin removed: tombstones at their version. */
  removed?: readonly RemovedTotal[];
  /** Erased users: their profile becomes a tombstone for good (ERASED_PROFILE_VERSION). */
  erasedUsers?: readonly string[];
  profiles: readonly ProfileRow[];
  boards: readonly BoardDefinition[];
  /** partition → next offset whose effects this write completes. */
  watermarks: ReadonlyMap<number, number>;
  /**
   * The batch this write comes from, and the player counts it changed: what capped instances need
   * (redis-top-k.ts). Absent for a rebuild's pages.
   */
  batch?: { partition: number; checkpoint: number; nextOffset: number; counts: readonly InstanceCount[] };
}

/** A board instance: a board and one of its period keys. */
export interface Instance {
  board: string;
  periodKey: string;
}

/** Capped instances (REDIS_TOP_K) refused users of a batch older than one already written. */
export class LateWriteError extends Error {}

/** How long a rebuild's flag on a capped instance holds unless the rebuild moves it on (extendFills). */
const FILL_HOLDS_MS = 5 * 60_000;

/** Below 2^48, so that a million bumps a second for a century stay exact JavaScript numbers. */
function versionBase(): string {
  return String(Math.floor(Math.random() * 2 ** 48));
}

export function boardJson(b: BoardDefinition): string {
  return JSON.stringify({
    order: b.order,
    tiebreaks: b.tiebreaks,
    defaultOp: b.defaultOp,
    periods: b.periods,
    timeZone: b.timeZone,
    weekStartsOn: b.weekStartsOn,
    createdAt: b.createdAt,
  });
}

/**
 * `topK`: REDIS_TOP_K, the entries kept per board instance; 0 keeps them all. `fillHoldsMs`: how long
 * a rebuild's flag on a capped instance holds unless moved on (shorter in tests).
 */
export interface RedisStoreOptions {
  /** REDIS_TOP_K: the entries kept per board instance; 0 keeps them all. */
  topK?: number;
  /** How long a rebuild's flag on a capped instance holds unless moved on (shorter in tests). */
  fillHoldsMs?: number;
  /** REDIS_KEEP_PERIODS: the newest instances of each period kept per board; 0 keeps them all. */
  keepPeriods?: number;
  now?: () => number;
}

/**
 * An instance stays in Redis this long after the readers' own clock would send it to PostgreSQL, so
 * that a reader whose clock runs behind never finds it gone.
 */
const KEEP_GRACE_MS = 3_600_000;
const DROPPED_FORGOTTEN_MS = 3_600_000;

export function createRedisStore(redis: Redis, prefix: string, options: RedisStoreOptions = {}) {
  const { topK = 0, fillHoldsMs = FILL_HOLDS_MS, keepPeriods = 0, now = Date.now } = options;
  const keys = redisKeys(prefix);
  const mark = layoutMark(topK, keepPeriods);
  /** The calendars of the boards written, which name their instances' periods. */
  const calendars = new Map<string, PeriodCalendar>();
  /**
   * The boards' seasons for the keep rule (setSchedules), each counted as started no earlier than
   * this process first saw it: the query API learns of a season through another table, later, and
   * must never believe Redis keeps an older season that a newer one made this process drop.
   */
  let schedules: ReadonlyMap<string, BoardSchedule> = new Map();
  let schedulesText = '[]';
  const firstSeen = new Map<string, number>();
  /**
   * Whether Redis keeps a board instance: one of the newest keepPeriods of its period an hour ago (a
   * superset of what readers ask of it). A board whose calendar is not known yet keeps everything.
   */
  /**
   * Instances dropped (dropOldInstances), as JSON [board, periodKey], forgotten every hour so that an
   * instance whose keys came back (a write that raced the drop) goes again.
   */
  let dropped = new Set<string>();
  let droppedSince = now();
  const keeps = (board: string, periodKey: string): boolean => {
    const calendar = calendars.get(board);
    if (calendar === undefined || keepPeriods === 0) return true;
    try {
      const schedule = schedules.get(board) ?? EMPTY_SCHEDULE;
      return isKeptInstance(periodKey, now() - KEEP_GRACE_MS, calendar, schedule, keepPeriods);
    } catch {
      // A zone this Node's time-zone data does not know: keep what cannot be placed.
      return true;
    }
  };
  const instanceKeys = (board: string, periodKey: string) =>
    [
      keys.leaderboard(board, periodKey),
      keys.memberIndex(board, periodKey),
      keys.instanceMeta(board, periodKey),
    ] as const;
  // A removal travels as a row with an empty rank score (see APPLY_TOTALS_SCRIPT).
  const totalsArgs = (rows: readonly (TotalRow | RemovedTotal)[]) =>
    rows.flatMap((t) =>
      'removed' in t
        ? [toRedisMember(0, t.userId), t.version, '', '']
        : [toRedisMember(t.reachedAt, t.userId, t.tieKey), t.version, t.rankScore, t.details ?? ''],
    );
  const markers = epochMarkers(keys, isCluster(redis));
  /** One script call per instance (its three keys, then `args`), pipelined per node: each one's reply. */
  async function eachInstance(
    instances: readonly Instance[],
    script: string,
    args: readonly (string | number)[],
  ): Promise<Map<string, unknown>> {
    const byMeta = new Map(instances.map((i) => [keys.instanceMeta(i.board, i.periodKey), i]));
    const metas = [...byMeta.keys()];
    const replies = await perKeyPipelined(redis, metas, (p, meta) => {
      const i = byMeta.get(meta) as Instance;
      p.eval(script, 3, ...instanceKeys(i.board, i.periodKey), ...args);
    });
    return new Map(metas.map((meta, n) => [meta, replies[n]]));
  }

  /** Capped instances that hold fewer than K/2 entries of more players: to refill from PostgreSQL. */
  const shrunk = new Map<string, Instance>();
  const markShrunk = ({ board, periodKey }: Instance) => shrunk.set(`${board}\n${periodKey}`, { board, periodKey });
  /** The masters (by run_id) and epoch whose markers were last all found in place, and when. */
  let verified: { masters: string; epoch: string; at: number } | undefined;

  async function markersHold(epoch: string): Promise<boolean> {
    const found = await perKeyPipelined(redis, markers.all(), (p, k) => p.get(k));
    return found.every((e) => e === epoch);
  }

  function advance(boards: readonly BoardDefinition[], watermarks: ReadonlyMap<number, number>) {
    for (const b of boards) calendars.set(b.board, { timeZone: b.timeZone, weekStartsOn: b.weekStartsOn });
    const args: (string | number)[] = [keys.changes, versionBase(), boards.length];
    for (const b of boards) args.push(b.board, boardJson(b));
    args.push(watermarks.size);
    for (const [partition, next] of watermarks) args.push(partition, next);
    return redis.eval(ADVANCE_SCRIPT, 3, keys.boards, keys.watermarks, keys.stateVersion, ...args);
  }

  /** Sets every slot's epoch marker (none on a standalone server, where `ready` is the marker). */
  async function setMarkers(epoch: string | undefined): Promise<void> {
    await perKeyPipelined(redis, markers.all(), (p, k) => (epoch === undefined ? p.unlink(k) : p.set(k, epoch)));
  }

  return {
    /** Writes the values of a committed transaction; atomic per board instance, idempotent across calls. */
    async apply(write: RedisWrite): Promise<void> {
      const calls: Promise<unknown>[] = [];
      const capped: Promise<unknown>[] = [];
      const cappedInstances: Instance[] = [];
      const regions = new Set<string>();
      for (const g of groupByBoardPeriod<TotalRow | RemovedTotal>([...write.totals, ...(write.removed ?? [])])) {
        const view = regionalView(g);
        if (view !== undefined) regions.add(view);
        // An instance past the newest few lives in PostgreSQL only.
        if (!keeps(g.board, g.periodKey)) continue;
        const [lb, lbu, meta] = instanceKeys(g.board, g.periodKey);
        const { batch } = write;
        if (topK > 0 && batch) {
          // The counts go with the instance's first call; each call is versioned by the batch.
          const counts = batch.counts.filter((c) => c.board === g.board && c.periodKey === g.periodKey);
          let countArgs: (string | number)[] = [
            counts.length,
            ...counts.flatMap((c) => [batch.partition, batch.nextOffset, c.players]),
          ];
          for (const rows of chunks(g.rows)) {
            const args = [topK, batch.partition, batch.checkpoint, batch.nextOffset, ...countArgs, ...totalsArgs(rows)];
            capped.push(redis.eval(TOP_K_SCRIPTS.apply, 3, lb, lbu, meta, ...args));
            cappedInstances.push({ board: g.board, periodKey: g.periodKey });
            countArgs = [0];
          }
          continue;
        }
        for (const rows of chunks(g.rows)) calls.push(redis.eval(APPLY_TOTALS_SCRIPT, 2, lb, lbu, ...totalsArgs(rows)));
      }
      if (regions.size > 0) calls.push(redis.sadd(keys.regions, ...regions));
      for (const rows of chunks(write.profiles)) {
        const args = rows.flatMap((pr) => [pr.userId, pr.version, profileValue(pr)]);
        calls.push(redis.eval(APPLY_PROFILES_SCRIPT, 1, keys.profiles, ...args));
      }
      for (const rows of chunks(write.erasedUsers ?? [])) {
        const tombstone = JSON.stringify([ERASED_PROFILE_VERSION]);
        const args = rows.flatMap((userId) => [userId, ERASED_PROFILE_VERSION, tombstone]);
        calls.push(redis.eval(APPLY_PROFILES_SCRIPT, 1, keys.profiles, ...args));
      }
      // Sent together (one node's calls leave in one write when pipelined), awaited together: the
      // state goes last, so a watermark never gets ahead of the data.
      const [replies] = await Promise.all([Promise.all(capped), Promise.all(calls)]);
      let refused = 0;
      for (const [i, reply] of replies.entries()) {
        const [late, held, players, filling] = (reply as number[]).map(Number) as [number, number, number, number];
        refused += late;
        if (!filling && held * 2 < topK && players > held) markShrunk(cappedInstances[i]!);
      }
      if (refused > 0) throw new LateWriteError(`a late batch named ${refused} users Redis no longer holds`);
      if (write.watermarks.size + write.profiles.length + write.boards.length + (write.erasedUsers?.length ?? 0) > 0) {
        await advance(write.boards, write.watermarks);
      }
    },

    /** The newest instances of each period kept per board (REDIS_KEEP_PERIODS); 0: all. */
    keepPeriods,
    /** Whether Redis keeps this board instance (REDIS_KEEP_PERIODS, an hour's grace). */
    keeps,

    /**
     * Deletes the instances Redis no longer keeps, of those named (PostgreSQL's): each one's keys,
     * once an hour. Readers already read them from PostgreSQL: their clock passed the instance an
     * hour ago. Returns how many were dropped.
     */
    /** The boards' seasons and resets, for keeping the newest seasons (REDIS_KEEP_PERIODS). True when they changed. */
    setSchedules(next: ReadonlyMap<string, BoardSchedule>): boolean {
      const text = JSON.stringify([...next]);
      if (text === schedulesText) return false;
      schedulesText = text;
      const seenAt = now();
      schedules = new Map(
        [...next].map(([board, schedule]) => {
          const seasons = schedule.seasons.map((s) => {
            const key = `${board}\n${s.seasonId}`;
            if (!firstSeen.has(key)) firstSeen.set(key, seenAt);
            return { ...s, startsAt: Math.max(s.startsAt, firstSeen.get(key) ?? seenAt) };
          });
          return [board, { ...schedule, seasons }];
        }),
      );
      return true;
    },

    async dropOldInstances(instances: readonly Instance[]): Promise<number> {
      if (now() - droppedSince > DROPPED_FORGOTTEN_MS) {
        dropped = new Set();
        droppedSince = now();
      }
      const old = instances.filter((i) => !keeps(i.board, i.periodKey) && !dropped.has(JSON.stringify(i)));
      const doomed = old.flatMap((i) => [...instanceKeys(i.board, i.periodKey)]);
      await perKeyPipelined(redis, doomed, (p, k) => p.unlink(k));
      for (const i of old) dropped.add(JSON.stringify(i));
      return old.length;
    },

    /** Takes out entries older than their removal (a rebuild's pass over removed_totals). */
    async dropRemoved(rows: readonly RemovedTotal[]): Promise<void> {
      await Promise.all(
        groupByBoardPeriod(rows).flatMap((g) =>
          [...chunks(g.rows)].map((slice) =>
            redis.eval(
              DROP_REMOVED_SCRIPT,
              2,
              keys.leaderboard(g.board, g.periodKey),
              keys.memberIndex(g.board, g.periodKey),
              ...slice.flatMap((r) => [r.userId, r.version]),
            ),
          ),
        ),
      );
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
      await setMarkers(undefined);
    },

    /** Complete, in this code's layout, and on a cluster every slot still holding this epoch's data. */
    async isReady(): Promise<boolean> {
      const [ready, layout] = await redis.mget(keys.ready, keys.layout);
      if (typeof ready !== 'string' || layout !== mark) return false;
      if (!isCluster(redis)) return true;
      // Reading 16,384 markers costs ~0.1 s of CPU: done when a master is new or was restarted (its
      // run_id changed), and every MARKERS_RECHECK_MS for a node flushed or evicting in place.
      const masters = await masterRunIds(redis);
      const now = Date.now();
      if (verified?.masters === masters && verified.epoch === ready && now - verified.at < MARKERS_RECHECK_MS)
        return true;
      if (!(await markersHold(ready))) return false;
      verified = { masters, epoch: ready, at: now };
      return true;
    },

    async writeProgress(entries: ReadonlyMap<number, { logEnd: number; caughtUpAt: number; at: number }>) {
      if (entries.size === 0) return;
      const fields: string[] = [];
      for (const [partition, progress] of entries) fields.push(String(partition), JSON.stringify(progress));
      await redis.hset(keys.progress, ...fields);
    },

    /** Mirrors changed board definitions; a new version, as cached answers depend on them. */
    async writeBoards(boards: readonly BoardDefinition[]): Promise<void> {
      if (boards.length > 0) await advance(boards, new Map());
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
     * that whatever a partial flush or eviction left behind cannot survive it. The epoch goes first:
     * from then on no reader trusts a key, so the rest can go one key at a time.
     */
    async clear(): Promise<void> {
      await redis.unlink(keys.ready, keys.layout, keys.watermarks, keys.boards, keys.stateVersion, keys.regions);
      await setMarkers(undefined);
      // UNLINK: the profiles hash holds a field per player, and Redis frees it in the background.
      await redis.unlink(keys.profiles);
      for (const earlier of EARLIER_LAYOUT_KEYS) await redis.unlink(`${prefix}${earlier}`);
      for (const kind of ['memberIndex', 'leaderboard', 'instanceMeta', 'layout1Profile'] as const) {
        await unlinkMatching(redis, `${keys.startOf(kind)}*`);
      }
    },

    /** The entries kept per board instance (REDIS_TOP_K); 0: all. */
    topK,

    /** The capped instances seen holding fewer than K/2 entries of more players since the last call. */
    takeShrunk(): Instance[] {
      const list = [...shrunk.values()];
      shrunk.clear();
      return list;
    },

    /**
     * Empties and flags capped instances before a rebuild's snapshot is taken (redis-top-k.ts). A
     * rebuild takes over other fills' flags; a refill (`keep`) leaves those instances out. Returns the
     * instances flagged.
     */
    async startFills<T extends Instance>(
      token: string,
      instances: readonly T[],
      others: 'take' | 'keep',
    ): Promise<T[]> {
      const flagged = await eachInstance(instances, TOP_K_SCRIPTS.startFill, [token, fillHoldsMs, others]);
      return instances.filter((i) => flagged.get(keys.instanceMeta(i.board, i.periodKey)) === 1);
    },

    /** Moves the deadline of fills still to be written on: a rebuild of many instances outlives one. */
    async extendFills(token: string, instances: readonly Instance[]): Promise<void> {
      await eachInstance(instances, TOP_K_SCRIPTS.extendFill, [token, fillHoldsMs]);
    },

    /** How long a fill's flag holds unless moved on. */
    fillHoldsMs,

    /** Whether a rebuild holds the lock (a refill then waits: the rebuild fills every instance). */
    async rebuildRunning(): Promise<boolean> {
      return (await redis.exists(keys.rebuilding)) === 1;
    },

    /**
     * Writes a capped instance's snapshot: its best K totals and its counts per partition (versioned
     * by the snapshot's offsets), then ends the fill. False when the flag was lost (expired, flushed).
     */
    async fill(
      token: string,
      instance: Instance,
      top: readonly TotalRow[],
      counts: readonly { partition: number; offset: number; players: number }[],
      /** The snapshot's next offset per partition: live batches it covered add no absent user. */
      offsets: ReadonlyMap<number, number>,
    ): Promise<boolean> {
      const ids = instanceKeys(instance.board, instance.periodKey);
      const view = regionalView(instance);
      if (view !== undefined) await redis.sadd(keys.regions, view);
      let countArgs: (string | number)[] = [
        counts.length,
        ...counts.flatMap((c) => [c.partition, c.offset, c.players]),
      ];
      for (const rows of top.length > 0 ? chunks(top) : [[]]) {
        if ((await redis.eval(TOP_K_SCRIPTS.fill, 3, ...ids, token, ...countArgs, ...totalsArgs(rows))) !== 1)
          return false;
        countArgs = [0];
      }
      const last = top.length === topK ? top[top.length - 1] : undefined;
      const bound = last ? [String(last.rankScore), toRedisMember(last.reachedAt, last.userId, last.tieKey)] : ['', ''];
      const covered = [offsets.size, ...[...offsets].flat()];
      const finished = await redis.eval(TOP_K_SCRIPTS.finishFill, 3, ...ids, token, topK, ...bound, ...covered);
      if (!Array.isArray(finished)) return false;
      const [held, players] = finished.slice(1).map(Number) as [number, number];
      // Only when live writes pushed out rows this fill wrote: stale counts alone must not loop refills.
      if (held * 2 < topK && players > held && held < top.length) markShrunk(instance);
      return true;
    },

    /**
     * Names a rebuild's epoch and puts it in every slot's marker before any of its data is written:
     * a slot that loses its data during the rebuild loses the marker too, and finishRebuild() sees it.
     * Readers, who hold the previous epoch, go to PostgreSQL meanwhile.
     */
    async startRebuild(token: string, at: number): Promise<string> {
      const epoch = `${at}:${token}`;
      await setMarkers(epoch);
      return epoch;
    },

    /** Marks the rebuilt projection complete, unless the lock was lost or a slot lost its data meanwhile. */
    async finishRebuild(token: string, epoch: string, offsets: ReadonlyMap<number, number>): Promise<boolean> {
      // The lock is checked by the script, atomically with setting `ready`.
      if (!(await markersHold(epoch))) return false;
      const args: (string | number)[] = [keys.changes, versionBase(), token, epoch, mark, offsets.size];
      for (const [p, o] of offsets) args.push(p, o);
      const finished = await redis.eval(
        FINISH_REBUILD_SCRIPT,
        5,
        keys.rebuilding,
        keys.watermarks,
        keys.ready,
        keys.layout,
        keys.stateVersion,
        ...args,
      );
      return finished === 1;
    },
  };
}

export type RedisStore = ReturnType<typeof createRedisStore>;

/** Rows in script-sized slices. */
function* chunks<T>(rows: readonly T[]): Iterable<readonly T[]> {
  for (let c = 0; c < rows.length; c += TOTALS_PER_CALL) yield rows.slice(c, c + TOTALS_PER_CALL);
}

/** Each master's address and run_id (new at every restart), as one comparable string. */
/** The `{s}regions` member of a regional view's all-time instance, which lists the view. */
function regionalView(instance: Instance): string | undefined {
  const region = regionOfKey(instance.periodKey);
  return region !== null && globalKeyOf(instance.periodKey) === ALL_TIME ? `${instance.board}|${region}` : undefined;
}

async function masterRunIds(cluster: Cluster): Promise<string> {
  const ids = await Promise.all(
    cluster.nodes('master').map(async (node) => {
      const info = await node.info('server');
      return `${node.options.host}:${node.options.port}=${/run_id:(\w+)/.exec(info)?.[1] ?? '?'}`;
    }),
  );
  return ids.sort().join(',');
}
