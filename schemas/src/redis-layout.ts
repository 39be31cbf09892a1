/**
 * Every Redis key the projector writes and the query API reads, defined once. All live under the
 * deployment's prefix (REDIS_PREFIX, `rs:` by default). Redis is the fast projection and can always be
 * rebuilt from PostgreSQL, so a layout change is a rebuild, never a migration.
 */
export const REDIS_KEY = {
  /** string: set when the projection is complete (its value: when the last rebuild ended). */
  ready: 'ready',
  /**
   * string: the layout the projection was built in (REDIS_LAYOUT). A projection in another layout is
   * not ready: readers fall back to PostgreSQL and the projector rebuilds it.
   */
  layout: 'layout',
  /** string, with a TTL: the token of the instance rebuilding Redis (a lock). */
  rebuilding: 'rebuilding',
  /** hash partition → next offset whose effects Redis holds. */
  watermarks: 'wm',
  /**
   * string: the state version, an integer bumped with every watermark, board or profile the
   * projector writes. It starts from a random base whenever it is created, so a value never names
   * two states, even across a flush. Readers keep the state in memory and compare versions.
   */
  stateVersion: 'version',
  /** pub/sub channel: the new state version, published each time it is bumped. */
  changes: 'changes',
  /** hash partition → JSON {logEnd, caughtUpAt, at}: the projector's heartbeat. */
  progress: 'progress',
  /** hash board → JSON definition. */
  boards: 'boards',
  /** sorted set per board and period key: members `<reachedAt, 13 digits>:<userId>`, scores the rank score. */
  leaderboard: 'lb:',
  /** hash per board and period key: userId → `<version>|<member>` (the member index). */
  memberIndex: 'lbu:',
  /** hash userId → the profile as profileValue() writes it. */
  profiles: 'profiles',
  /** Layout 1's hash per user (username, imageUrl, region, version): deleted by the rebuild. */
  layout1Profile: 'profile:',
  /** rate-limiter-flexible's counters for limits shared by every instance of a service. */
  rateLimit: 'ratelimit:',
} as const;

/** The layout this code reads and writes; a change of layout is a rebuild (see REDIS_KEY.layout). */
export const REDIS_LAYOUT = '2';

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

/** The keys under one prefix, for TypeScript callers; Lua scripts splice REDIS_KEY's parts in. */
export function redisKeys(prefix: string) {
  return {
    ready: `${prefix}${REDIS_KEY.ready}`,
    layout: `${prefix}${REDIS_KEY.layout}`,
    rebuilding: `${prefix}${REDIS_KEY.rebuilding}`,
    watermarks: `${prefix}${REDIS_KEY.watermarks}`,
    stateVersion: `${prefix}${REDIS_KEY.stateVersion}`,
    changes: `${prefix}${REDIS_KEY.changes}`,
    progress: `${prefix}${REDIS_KEY.progress}`,
    boards: `${prefix}${REDIS_KEY.boards}`,
    leaderboard: (board: string, periodKey: string) => `${prefix}${REDIS_KEY.leaderboard}${board}:${periodKey}`,
    memberIndex: (board: string, periodKey: string) => `${prefix}${REDIS_KEY.memberIndex}${board}:${periodKey}`,
    profiles: `${prefix}${REDIS_KEY.profiles}`,
    /** The key prefix of one service's shared rate limit counters. */
    rateLimit: (service: string) => `${prefix}${REDIS_KEY.rateLimit}${service}`,
    /** The common start of every key of one kind, e.g. for SCAN MATCH `${start}*`. */
    startOf: (kind: 'leaderboard' | 'memberIndex' | 'layout1Profile') => `${prefix}${REDIS_KEY[kind]}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
