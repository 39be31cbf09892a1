import { slotOf, slotTags } from './redis-slots.js';

/**
 * Every Redis key the projector writes and the query API reads, defined once. All live under the
 * deployment's prefix (REDIS_PREFIX, `rs:` by default). Redis is the fast projection and can always be
 * rebuilt from PostgreSQL, so a layout change is a rebuild, never a migration.
 */
export const REDIS_KEY = {
  /** string: set when the projection is complete; its value is the epoch (see epochMarkers()). */
  ready: '{s}ready',
  /**
   * string: the layout the projection was built in (REDIS_LAYOUT). A projection in another layout is
   * not ready: readers fall back to PostgreSQL and the projector rebuilds it.
   */
  layout: '{s}layout',
  /** string, with a TTL: the token of the instance rebuilding Redis (a lock). */
  rebuilding: '{s}rebuilding',
  /** hash partition → next offset whose effects Redis holds. */
  watermarks: '{s}wm',
  /**
   * string: the state version, an integer bumped with every watermark, board or profile the
   * projector writes. It starts from a random base whenever it is created, so a value never names
   * two states, even across a flush. Readers keep the state in memory and compare versions.
   */
  stateVersion: '{s}version',
  /** pub/sub channel: the new state version, published each time it is bumped. */
  changes: 'changes',
  /** hash partition → JSON {logEnd, caughtUpAt, at}: the projector's heartbeat. */
  progress: '{s}progress',
  /** hash board → JSON definition. */
  boards: '{s}boards',
  /** set of `<board>|<region>`: the regional views (regions.ts) that have had players, for listing them. */
  regions: '{s}regions',
  /**
   * sorted set per board instance, `lb:{board:periodKey}`: members `<tie key><reachedAt, 13 digits>:<userId>` (ranking.ts),
   * scores the rank score.
   */
  leaderboard: 'lb:',
  /**
   * hash per board instance, `lbu:{board:periodKey}`: userId → `<version>|<member>` (the member index),
   * followed by `|<details>` when the entry has details (the JSON metadata of its latest event), or
   * `<version>|` for a total an admin removed (a tombstone: readers see no entry).
   */
  memberIndex: 'lbu:',
  /**
   * hash per board instance, `lbm:{board:periodKey}`, only when the projector caps instances
   * (REDIS_TOP_K): the bound of what the sorted set holds, the player count and the write guards
   * (score-projector/src/adapters/redis-top-k.ts).
   */
  instanceMeta: 'lbm:',
  /** hash userId → the profile as profileValue() writes it, or `[version]` for an erased user (none). */
  profiles: '{p}profiles',
  /** string per cluster slot, `{tag}epoch`: the epoch of the projection the slot's data belongs to. */
  epoch: 'epoch',
  /** rate-limiter-flexible's counters for limits shared by every instance of a service. */
  rateLimit: 'ratelimit:',
} as const;

/**
 * The layout this code reads and writes; a change of layout is a rebuild (see REDIS_KEY.layout).
 * Layout 3 put the keys each script touches in one Redis Cluster slot with hash tags: the projection
 * state under `{s}`, each board instance under `{board:periodKey}`, the profiles under `{p}`. Layout 4
 * adds entry details to member index values, which a layout 3 reader would take for the member;
 * layout 5 leads members with the tie key (ranking.ts), where a layout 4 reader expects reachedAt.
 */
export const REDIS_LAYOUT = '5';

/**
 * The value of the layout key: the layout, the cap when board instances are capped, and how many
 * instances of each period Redis keeps when not all (`4:top=1000:keep=3`). The projector rebuilds a
 * Redis whose mark is not its own; readers accept any mark of the layout they read, since a capped
 * instance says so itself (its meta hash), and read `keep` to send older instances to PostgreSQL.
 */
export function layoutMark(topK: number, keepPeriods = 0): string {
  return `${REDIS_LAYOUT}${topK > 0 ? `:top=${topK}` : ''}${keepPeriods > 0 ? `:keep=${keepPeriods}` : ''}`;
}

/** The instances per period a layout mark says Redis keeps (0: all). */
export function keptPeriodsOf(mark: string): number {
  const match = /:keep=(\d+)(?::|$)/.exec(mark);
  return match ? Number(match[1]) : 0;
}

/** What earlier layouts kept under other names; the rebuild from scratch deletes them. */
export const EARLIER_LAYOUT_KEYS = ['ready', 'layout', 'wm', 'version', 'progress', 'boards', 'profiles'] as const;
/** Layout 1's hash per user (username, imageUrl, region, version). */
export const LAYOUT1_PROFILE = 'profile:';

export interface RedisProfile {
  version: number;
  username: string;
  imageUrl: string | null;
  region: string | null;
}

/**
 * A profile as the `profiles` hash holds it: JSON `[version, username, imageUrl, region]`, the
 * version first so that the projector's script can compare it without decoding the rest. One field
 * per user in one hash: a page's profiles are one HMGET, and a profile costs ~90 B instead of the
 * ~136 B of a hash of its own.
 */
export function profileValue(p: RedisProfile): string {
  return JSON.stringify([p.version, p.username, p.imageUrl, p.region]);
}

/** The profile in a `profiles` value; undefined for anything else. */
export function fromProfileValue(value: string | null | undefined): RedisProfile | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const [version, username, imageUrl, region] = JSON.parse(value) as unknown[];
    if (typeof version !== 'number' || typeof username !== 'string') return undefined;
    return {
      version,
      username,
      imageUrl: typeof imageUrl === 'string' ? imageUrl : null,
      region: typeof region === 'string' ? region : null,
    };
  } catch {
    return undefined;
  }
}

/**
 * The version of an erased user's profile tombstone (`[version]` in the profiles hash): above every
 * real version, so that nothing (a late write, a rebuild's snapshot) can put a profile back. An
 * erasure is for good.
 */
export const ERASED_PROFILE_VERSION = Number.MAX_SAFE_INTEGER;

/** The keys under one prefix, for TypeScript callers; Lua scripts get theirs as KEYS. */
export function redisKeys(prefix: string) {
  if (/[{}]/.test(prefix)) throw new Error(`the Redis prefix must not contain { or }: ${prefix}`);
  const instance = (board: string, periodKey: string) => `{${board}:${periodKey}}`;
  return {
    ready: `${prefix}${REDIS_KEY.ready}`,
    layout: `${prefix}${REDIS_KEY.layout}`,
    rebuilding: `${prefix}${REDIS_KEY.rebuilding}`,
    watermarks: `${prefix}${REDIS_KEY.watermarks}`,
    stateVersion: `${prefix}${REDIS_KEY.stateVersion}`,
    changes: `${prefix}${REDIS_KEY.changes}`,
    progress: `${prefix}${REDIS_KEY.progress}`,
    boards: `${prefix}${REDIS_KEY.boards}`,
    regions: `${prefix}${REDIS_KEY.regions}`,
    leaderboard: (board: string, periodKey: string) => `${prefix}${REDIS_KEY.leaderboard}${instance(board, periodKey)}`,
    memberIndex: (board: string, periodKey: string) => `${prefix}${REDIS_KEY.memberIndex}${instance(board, periodKey)}`,
    instanceMeta: (board: string, periodKey: string) =>
      `${prefix}${REDIS_KEY.instanceMeta}${instance(board, periodKey)}`,
    profiles: `${prefix}${REDIS_KEY.profiles}`,
    /** The epoch marker of one cluster slot. */
    epoch: (slot: number) => `${prefix}{${slotTags()[slot]}}${REDIS_KEY.epoch}`,
    /** The key prefix of one service's shared rate limit counters. */
    rateLimit: (service: string) => `${prefix}${REDIS_KEY.rateLimit}${service}`,
    /** The common start of every key of one kind, in this layout and earlier ones, for SCAN MATCH `${start}*`. */
    startOf: (kind: 'leaderboard' | 'memberIndex' | 'instanceMeta' | 'layout1Profile') =>
      `${prefix}${kind === 'layout1Profile' ? LAYOUT1_PROFILE : REDIS_KEY[kind]}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Where a script checks that the data it reads or writes belongs to the current projection: the
 * epoch, a value each rebuild sets in `ready`. On a standalone server the marker is `ready` itself.
 * On a cluster every slot has its own, beside the data, because a script sees one slot only and a
 * master restarted without persistence loses its slots' data while `ready`, on another master, stays.
 */
export function epochMarkers(keys: RedisKeys, cluster: boolean) {
  return {
    /** The marker a script touching `key` checks. */
    of: (key: string): string => (cluster ? keys.epoch(slotOf(key)) : keys.ready),
    /** Every marker a rebuild sets besides `ready` (none on a standalone server). */
    all: (): string[] => (cluster ? slotTags().map((_, slot) => keys.epoch(slot)) : []),
  };
}
