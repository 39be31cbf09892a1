import {
  type AdminEvent,
  ALL_TIME,
  applyEvent,
  type DecodedEvent,
  globalKeyOf,
  type ProfileEvent,
  periodKeys,
  type RankOrder,
  regionalKey,
  regionOfKey,
  type ScoreEvent,
  type Total,
  toRankScore,
  toTieKey,
  UTC_CALENDAR,
  wallClock,
} from '@rankstream/schemas';
import type { Candidate } from './batch-plan.js';
import { NO_REGION, nextRegion, type PlayerRegion, type RegionChange } from './player-regions.js';

export interface TotalId {
  board: string;
  periodKey: string;
  userId: string;
}

/**
 * A total as stored: the fold's Total plus its version, which grows with every write of the row:
 * the offset of the last event applied, or one more than the version it was folded from when that
 * is larger (only when a user's events arrive on several partitions, whose offsets don't compare).
 */
export interface StoredTotal extends Total {
  version: number;
  /** The entry's details, when the load asked for them (a player whose region moves: copied along). */
  details?: string | null;
}

/** A row to write: absolute values, never increments, so writing it twice is harmless. */
export interface TotalRow extends TotalId, StoredTotal {
  rankScore: number;
  /** The tie-break values' sort key (ranking.ts toTieKey): '' on boards without columns. */
  tieKey: string;
  /** The entry's details: the metadata (JSON text, opened) of the latest event applied to it, or null. */
  details: string | null;
}

/** A row a batch produced, with what it was folded from: the write succeeds only if that is still stored. */
export interface FoldedTotal extends TotalRow {
  /** The version of the stored total this row was folded from; -1: the total did not exist. */
  baseVersion: number;
  /** totalKey of this row, built once: the caches and the rank buckets look rows up by it. */
  key: string;
}

/** The version a write gives a total: an offset in the normal case, and always above the last one. */
export function nextVersion(previous: number | undefined, offset: number): number {
  return previous === undefined ? offset : Math.max(previous + 1, offset);
}

export interface ProfileRow {
  userId: string;
  username: string;
  imageUrl: string | null;
  region: string | null;
  occurredAt: number;
  version: number;
}

/**
 * A stored total an admin removal deleted: written as a DELETE over `baseVersion`, and to Redis as a
 * tombstone at `version`, so that an older value (a rebuild's snapshot) cannot bring it back.
 */
export interface RemovedTotal extends TotalId {
  removed: true;
  key: string;
  version: number;
  baseVersion: number;
}

/** Whether a user's events are ignored: banned (until an unban), erased (for good). */
export interface Standing {
  banned: boolean;
  erased: boolean;
}

/** A user's standing after the batch, for user_bans, with the action that set it last. */
export interface BanChange extends Standing {
  userId: string;
  actor: string;
  reason: string | null;
  occurredAt: number;
}

export interface LimitRefusal {
  candidate: Candidate;
  reason: 'rate_limited' | 'max_delta';
  message: string;
  path: 'userId' | 'value';
}

/** A player's events on a board let through in one minute of log time (Kafka timestamp ÷ 60,000). */
export interface MinuteCount {
  board: string;
  userId: string;
  minute: number;
  events: number;
}

export function minuteCountKey(board: string, userId: string, minute: number): string {
  return `${board}\u0000${userId}\u0000${minute}`;
}

export const MINUTE_MS = 60_000;

/**
 * How many minutes behind its partition's newest one a player's minute is still counted. An event
 * older than that (log time out of order, from a producer that sets its own timestamps) is neither
 * counted nor limited by the rate: whether its minute's count were still stored would otherwise
 * depend on how the log was cut into batches, and a replay could decide differently.
 */
export const MINUTES_KEPT = 10;

/** One admin event folded, for admin_audit; `removed` counts the totals a remove_entry deleted. */
export interface AuditRow {
  offset: number;
  event: AdminEvent;
  removed: number;
}

export interface BatchFold {
  totals: FoldedTotal[];
  /** Stored totals a remove_entry deleted (and no later event of the batch wrote again). */
  removed: RemovedTotal[];
  profiles: ProfileRow[];
  /** The standing of each user the batch banned, unbanned or erased. */
  bans: BanChange[];
  /** Users erased: their profile goes. */
  erasedUsers: string[];
  audit: AuditRow[];
  /** Score events of banned or erased users and profile events of erased ones: seen (the ledger keeps their ids), never applied. */
  ignored: number;
  /** The partition's banned or erased users after the batch (the input map when none changed). */
  standings: ReadonlyMap<string, Standing>;
  /** Score events refused because a result left ±(2^53−1); none of their totals changed. */
  overflowed: Candidate[];
  /** Score events past their stamped per-player limits: dead-lettered with the reason, applied to nothing. */
  refused: LimitRefusal[];
  /** The minute counts the batch moved (absolute), for player_minute_counts. */
  minuteCounts: MinuteCount[];
  /** The partition's newest minute of a rate-limited event, after the batch (-Infinity: none yet). */
  minuteMark: number;
  /** Events that changed the projection (score events applied + profile events). */
  applied: number;
  /** The partition's players with a region after the batch (the input map when none changed). */
  regions: ReadonlyMap<string, PlayerRegion>;
  /** Players whose region state the batch changed, with the state they end it in. */
  regionChanges: RegionChange[];
}

const DAY_MS = 86_400_000;

/** The period keys of a score event: what its occurredAt, periods and calendar name. */
export type PeriodKeysOf = (event: Pick<ScoreEvent, 'occurredAt' | 'periods' | 'calendar'>) => string[];

/**
 * periodKeys memoised by the day on the event's wall clock, its calendar and its period list: keys
 * depend on nothing finer than the local day, and a batch has few distinct days, so this saves
 * formatting dates for every event.
 */
export function createPeriodKeyCache(): PeriodKeysOf {
  const cache = new Map<string, string[]>();
  return ({ occurredAt, periods, calendar }) => {
    if (periods.length === 0) return ALL_ONLY;
    const calendarOf = calendar ?? UTC_CALENDAR;
    const day = Math.floor(wallClock(calendarOf.timeZone, occurredAt) / DAY_MS);
    const memo =
      calendar === null
        ? `${day}|${periods.join(',')}`
        : `${day}|${periods.join(',')}|${calendar.timeZone}|${calendar.weekStartsOn}`;
    let keys = cache.get(memo);
    if (keys === undefined) {
      keys = periodKeys(occurredAt, periods, calendarOf);
      cache.set(memo, keys);
    }
    return keys;
  };
}

const ALL_ONLY = [ALL_TIME];

export function totalKey(id: TotalId): string {
  return totalKeyOf(id.board, id.periodKey, id.userId);
}

export function totalKeyOf(board: string, periodKey: string, userId: string): string {
  // \u0000 cannot occur in board ids, period keys or user ids, so the key is unambiguous.
  return `${board}\u0000${periodKey}\u0000${userId}`;
}

/** The totals a set of score events touches, by totalKey, for loading them before the fold. */
export function touchedTotals(events: readonly ScoreEvent[], keysOf = createPeriodKeyCache()): Map<string, TotalId> {
  const ids = new Map<string, TotalId>();
  for (const e of events) {
    for (const periodKey of keysOf(e)) {
      const key = totalKeyOf(e.board, periodKey, e.userId);
      if (!ids.has(key)) ids.set(key, { board: e.board, periodKey, userId: e.userId });
    }
  }
  return ids;
}

/**
 * Folds the new events of one batch (in offset order, each eventId once and never seen before) over
 * the current totals. An event is applied to all of its period totals or to none: if any result
 * overflows, the event is refused as a whole. Only totals that an event touched are returned, each
 * once, with its next version (nextVersion) and the version it was folded from.
 */
export function foldBatch(input: {
  events: readonly Candidate[];
  /** Every stored total the events touch, and every one of each (board, user) a remove_entry names. */
  current: ReadonlyMap<string, StoredTotal>;
  orders: ReadonlyMap<string, RankOrder>;
  /** Each board's tie-break column orders, for boards that have columns. */
  tieOrders?: ReadonlyMap<string, readonly RankOrder[]>;
  keysOf?: PeriodKeysOf;
  /** The partition's banned or erased users before the batch. */
  standings?: ReadonlyMap<string, Standing>;
  /** Stored minute counts (minuteCountKey) of the events stamped with maxEventsPerMinute. */
  minuteCounts?: ReadonlyMap<string, number>;
  /** The partition's newest minute of a rate-limited event before the batch. */
  minuteMark?: number;
  /** The partition's players with a region before the batch (player_regions). */
  regions?: ReadonlyMap<string, PlayerRegion>;
}): BatchFold {
  const keysOf = input.keysOf ?? createPeriodKeyCache();
  const working = new Map<string, FoldedTotal | RemovedTotal>();
  const profiles = new Map<string, ProfileRow>();
  const overflowed: Candidate[] = [];
  const refused: LimitRefusal[] = [];
  const counts = new Map<string, MinuteCount>();
  let minuteMark = input.minuteMark ?? Number.NEGATIVE_INFINITY;
  const bans = new Map<string, BanChange>();
  const erasedUsers = new Set<string>();
  const audit: AuditRow[] = [];
  const given: ReadonlyMap<string, Standing> = input.standings ?? new Map();
  let standings = given;
  const barred = (userId: string) => standings.get(userId) !== undefined;
  let ignored = 0;
  let applied = 0;
  const givenRegions: ReadonlyMap<string, PlayerRegion> = input.regions ?? new Map();
  let regions = givenRegions;
  const regionChanges = new Map<string, PlayerRegion>();
  /** Takes the player's region state after `decoded`; a new region takes their regional entries with them. */
  const followRegion = (userId: string, decoded: DecodedEvent, offset: number) => {
    const before = regions.get(userId) ?? NO_REGION;
    const next = nextRegion(before, decoded);
    if (next === undefined) return;
    // Copied on the first change: the caller's map describes the partition before the batch.
    if (regions === givenRegions) regions = new Map(givenRegions);
    const map = regions as Map<string, PlayerRegion>;
    if (next.region === null && next.profileRegion === null) map.delete(userId);
    else map.set(userId, next);
    regionChanges.set(userId, next);
    if (next.region !== before.region) {
      moveRegion(userId, before.region, next.region, offset, input.current, working, input.orders, input.tieOrders);
    }
  };
  // One event's results, kept until all of its totals are known not to overflow; reused per event.
  const rows: FoldedTotal[] = [];

  for (const candidate of input.events) {
    const { offset, decoded } = candidate;
    if (decoded.kind === 'profile') {
      if (standings.get(decoded.event.userId)?.erased) {
        ignored++;
        continue;
      }
      followRegion(decoded.event.userId, decoded, offset);
      profiles.set(decoded.event.userId, profileRow(decoded.event, offset));
      applied++;
      continue;
    }
    // Board events changed the schedules before the fold (board-schedules.ts).
    if (decoded.kind === 'board') {
      applied++;
      continue;
    }
    if (decoded.kind === 'admin') {
      const event = decoded.event;
      let removed = 0;
      if (event.action === 'remove_entry') {
        removed = removeEntries(event.userId, event.board, event.periodKey, offset, input.current, working);
      } else {
        const before = standings.get(event.userId) ?? { banned: false, erased: false };
        const after: Standing = {
          banned: event.action === 'ban' || (event.action !== 'unban' && before.banned),
          erased: event.action === 'erase' || before.erased,
        };
        // Copied on the first change: the caller's map describes the state before the batch.
        if (standings === given) standings = new Map(given);
        const map = standings as Map<string, Standing>;
        if (after.banned || after.erased) map.set(event.userId, after);
        else map.delete(event.userId);
        const { actor, reason, occurredAt } = event;
        bans.set(event.userId, { userId: event.userId, ...after, actor, reason, occurredAt });
        if (event.action === 'erase') {
          removed = removeEntries(event.userId, null, null, offset, input.current, working);
          if (regions.has(event.userId)) {
            if (regions === givenRegions) regions = new Map(givenRegions);
            (regions as Map<string, PlayerRegion>).delete(event.userId);
            regionChanges.set(event.userId, NO_REGION);
          }
          profiles.delete(event.userId);
          erasedUsers.add(event.userId);
        }
      }
      audit.push({ offset, event, removed });
      applied++;
      continue;
    }
    const event = decoded.event;
    if (barred(event.userId)) {
      ignored++;
      continue;
    }
    const order = input.orders.get(event.board);
    if (order === undefined) throw new Error(`board ${event.board} has no known order`);
    const tieOrders = input.tieOrders?.get(event.board);
    const perMinute = event.limits?.maxEventsPerMinute ?? null;
    let counted: MinuteCount | undefined;
    const minute = Math.floor(candidate.timestamp / MINUTE_MS);
    if (perMinute !== null && minute >= minuteMark - MINUTES_KEPT) {
      minuteMark = Math.max(minuteMark, minute);
      const key = minuteCountKey(event.board, event.userId, minute);
      counted = counts.get(key) ?? {
        board: event.board,
        userId: event.userId,
        minute,
        events: input.minuteCounts?.get(key) ?? 0,
      };
      if (counted.events >= perMinute) {
        const message = `more than ${perMinute} events of this player on board ${event.board} in one minute`;
        refused.push({ candidate, reason: 'rate_limited', message, path: 'userId' });
        continue;
      }
    }
    rows.length = 0;
    let overflow = false;
    for (const periodKey of keysOf(event)) {
      const key = totalKeyOf(event.board, periodKey, event.userId);
      const stored = input.current.get(key);
      const latest = working.get(key) ?? stored;
      // A removed total starts again from nothing; its version keeps growing.
      const before = latest === undefined || 'removed' in latest ? undefined : latest;
      const result = applyEvent(before, event);
      if (!result.ok) {
        overflow = true;
        break;
      }
      const { score, reachedAt, eventCount, tiebreaks } = result.total;
      const row: FoldedTotal = {
        board: event.board,
        periodKey,
        userId: event.userId,
        score,
        reachedAt,
        eventCount,
        version: nextVersion(latest?.version, offset),
        rankScore: toRankScore(order, score),
        tieKey: tieOrders === undefined ? '' : toTieKey(tieOrders, tiebreaks),
        details: event.metadata,
        baseVersion: stored?.version ?? -1,
        key,
      };
      if (tiebreaks !== undefined) row.tiebreaks = tiebreaks;
      rows.push(row);
    }
    if (overflow) {
      overflowed.push(candidate);
      continue;
    }
    // The change is measured on the all-time total, the first of the event's rows.
    const maxDelta = event.limits?.maxDelta ?? null;
    if (maxDelta !== null && rows[0] !== undefined) {
      const latest = working.get(rows[0].key) ?? input.current.get(rows[0].key);
      const from = latest === undefined || 'removed' in latest ? 0 : latest.score;
      if (Math.abs(rows[0].score - from) > maxDelta) {
        const message = `the event would move the player's total by more than ${maxDelta}`;
        refused.push({ candidate, reason: 'max_delta', message, path: 'value' });
        continue;
      }
    }
    // A region the event names moves the player first: the new region's views get their totals as
    // they were before the event, and then the event, as the global ones do.
    followRegion(event.userId, decoded, offset);
    for (const row of rows) working.set(row.key, row);
    const region = regions.get(event.userId)?.region;
    if (region != null) for (const row of rows) regionalCopy(row, region, offset, input.current, working);
    // Only an event the projection takes uses up one of the player's events of the minute.
    if (counted !== undefined) {
      counted.events++;
      counts.set(minuteCountKey(counted.board, counted.userId, counted.minute), counted);
    }
    applied++;
  }
  const totals: FoldedTotal[] = [];
  const removed: RemovedTotal[] = [];
  for (const row of working.values()) {
    if (!('removed' in row)) totals.push(row);
    // A total created and removed within the batch was never stored: nothing to delete.
    else if (row.baseVersion >= 0) removed.push(row);
  }
  return {
    totals,
    removed,
    profiles: [...profiles.values()],
    bans: [...bans.values()],
    erasedUsers: [...erasedUsers],
    audit,
    ignored,
    standings,
    overflowed,
    refused,
    minuteCounts: [...counts.values()],
    minuteMark,
    applied,
    regions,
    regionChanges: [...regionChanges].map(([userId, state]) => ({ userId, ...state })),
  };
}

/**
 * A regional view's entry is its global entry, listed under the player's region: the same values,
 * its own version. Writes the copy of `row` (a global total) into the region's instance.
 */
function regionalCopy(
  row: FoldedTotal,
  region: string,
  offset: number,
  current: ReadonlyMap<string, StoredTotal>,
  working: Map<string, FoldedTotal | RemovedTotal>,
): void {
  const periodKey = regionalKey(row.periodKey, region);
  const key = totalKeyOf(row.board, periodKey, row.userId);
  const stored = current.get(key);
  // Above the stored copy's version and at least the global row's: a move and the event that made
  // it write one copy at one offset, and it keeps that offset.
  working.set(key, {
    ...row,
    periodKey,
    key,
    version: Math.max(row.version, nextVersion(stored?.version, offset)),
    baseVersion: stored?.version ?? -1,
  });
}

/**
 * Moves a player's regional entries, on every board, from one region's views to another's: those
 * of `from` are removed, and each global total of theirs is copied under `to`. The caller loaded
 * every total of a player whose region may change (like an erasure's).
 */
function moveRegion(
  userId: string,
  from: string | null,
  to: string | null,
  offset: number,
  current: ReadonlyMap<string, StoredTotal>,
  working: Map<string, FoldedTotal | RemovedTotal>,
  orders: ReadonlyMap<string, RankOrder>,
  tieOrders: ReadonlyMap<string, readonly RankOrder[]> | undefined,
): void {
  if (from !== null) removeEntries(userId, null, null, offset, current, working, from);
  if (to === null) return;
  // userIds may hold an @ too: the instance key is the middle part.
  const globals = [...playerKeys(userId, current, working)].filter(
    (key) => regionOfKey(key.split('\u0000')[1] ?? '') === null,
  );
  for (const key of globals) {
    const inBatch = working.get(key);
    if (inBatch !== undefined) {
      if (!('removed' in inBatch)) regionalCopy(inBatch, to, offset, current, working);
      continue;
    }
    const latest = current.get(key);
    if (latest === undefined) continue;
    const [board = '', periodKey = ''] = key.split('\u0000');
    const order = orders.get(board);
    if (order === undefined) throw new Error(`board ${board} has no known order`);
    const columns = tieOrders?.get(board);
    const row: FoldedTotal = {
      board,
      periodKey,
      userId,
      score: latest.score,
      reachedAt: latest.reachedAt,
      eventCount: latest.eventCount,
      version: latest.version,
      rankScore: toRankScore(order, latest.score),
      tieKey: columns === undefined ? '' : toTieKey(columns, latest.tiebreaks ?? []),
      details: latest.details ?? null,
      baseVersion: latest.version,
      key,
    };
    if (latest.tiebreaks !== undefined) row.tiebreaks = latest.tiebreaks;
    regionalCopy(row, to, offset, current, working);
  }
}

/** The keys of every total of the player at this point of the batch: stored, or written by an earlier event. */
function playerKeys(
  userId: string,
  current: ReadonlyMap<string, StoredTotal>,
  working: ReadonlyMap<string, FoldedTotal | RemovedTotal>,
): Set<string> {
  const suffix = `\u0000${userId}`;
  const keys = new Set<string>();
  for (const map of [current, working]) for (const key of map.keys()) if (key.endsWith(suffix)) keys.add(key);
  return keys;
}

/**
 * Marks removed every total of the user on `board` (every board when null), or the one of
 * `onlyPeriodKey`, that exists at this point of the batch: stored (the caller loaded them all) or
 * written by an earlier event. Returns how many.
 */
function removeEntries(
  userId: string,
  onlyBoard: string | null,
  onlyPeriodKey: string | null,
  offset: number,
  current: ReadonlyMap<string, StoredTotal>,
  working: Map<string, FoldedTotal | RemovedTotal>,
  onlyRegion?: string,
): number {
  const keys = playerKeys(userId, current, working);
  let removed = 0;
  for (const key of keys) {
    const [board = '', periodKey = '', owner] = key.split('\u0000');
    if (owner !== userId) continue;
    if (onlyBoard !== null && board !== onlyBoard) continue;
    // An instance's regional views go with it.
    if (onlyPeriodKey !== null && globalKeyOf(periodKey) !== onlyPeriodKey && periodKey !== onlyPeriodKey) continue;
    if (onlyRegion !== undefined && regionOfKey(periodKey) !== onlyRegion) continue;
    const stored = current.get(key);
    const latest = working.get(key) ?? stored;
    if (latest === undefined || 'removed' in latest) continue;
    working.set(key, {
      removed: true,
      board,
      periodKey,
      userId,
      key,
      version: nextVersion(latest.version, offset),
      baseVersion: stored?.version ?? -1,
    });
    // Entries are counted where they rank globally: a regional view's copy is the same entry.
    if (regionOfKey(periodKey) === null) removed++;
  }
  return removed;
}

function profileRow(event: ProfileEvent, offset: number): ProfileRow {
  return {
    userId: event.userId,
    username: event.username,
    imageUrl: event.imageUrl,
    region: event.region,
    occurredAt: event.occurredAt,
    version: offset,
  };
}
