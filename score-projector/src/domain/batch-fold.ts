import {
  applyEvent,
  type Period,
  type ProfileEvent,
  periodKeys,
  type RankOrder,
  type ScoreEvent,
  type Total,
  toRankScore,
} from '@rankstream/schemas';
import type { Candidate } from './batch-plan.js';

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
}

/** A row to write: absolute values, never increments, so writing it twice is harmless. */
export interface TotalRow extends TotalId, StoredTotal {
  rankScore: number;
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

export interface BatchFold {
  totals: FoldedTotal[];
  profiles: ProfileRow[];
  /** Score events refused because a result left ±(2^53−1); none of their totals changed. */
  overflowed: Candidate[];
  /** Events that changed the projection (score events applied + profile events). */
  applied: number;
}

const DAY_MS = 86_400_000;

/**
 * periodKeys memoised by UTC day and period list: keys depend on nothing finer than the day, and a
 * batch has few distinct days, so this saves formatting dates for every event.
 */
export function createPeriodKeyCache(): (occurredAt: number, periods: readonly Period[]) => string[] {
  const cache = new Map<string, string[]>();
  return (occurredAt, periods) => {
    const day = Math.floor(occurredAt / DAY_MS);
    const memo = periods.length === 0 ? 'all' : `${day}|${periods.join(',')}`;
    let keys = cache.get(memo);
    if (keys === undefined) {
      keys = periodKeys(occurredAt, periods);
      cache.set(memo, keys);
    }
    return keys;
  };
}

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
    for (const periodKey of keysOf(e.occurredAt, e.periods)) {
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
  current: ReadonlyMap<string, StoredTotal>;
  orders: ReadonlyMap<string, RankOrder>;
  keysOf?: (occurredAt: number, periods: readonly Period[]) => string[];
}): BatchFold {
  const keysOf = input.keysOf ?? createPeriodKeyCache();
  const working = new Map<string, FoldedTotal>();
  const profiles = new Map<string, ProfileRow>();
  const overflowed: Candidate[] = [];
  let applied = 0;
  // One event's results, kept until all of its totals are known not to overflow; reused per event.
  const rows: FoldedTotal[] = [];

  for (const candidate of input.events) {
    const { offset, decoded } = candidate;
    if (decoded.kind === 'profile') {
      profiles.set(decoded.event.userId, profileRow(decoded.event, offset));
      applied++;
      continue;
    }
    const event = decoded.event;
    const order = input.orders.get(event.board);
    if (order === undefined) throw new Error(`board ${event.board} has no known order`);
    rows.length = 0;
    let overflow = false;
    for (const periodKey of keysOf(event.occurredAt, event.periods)) {
      const key = totalKeyOf(event.board, periodKey, event.userId);
      const stored = input.current.get(key);
      const before = working.get(key) ?? stored;
      const result = applyEvent(before, event);
      if (!result.ok) {
        overflow = true;
        break;
      }
      const { score, reachedAt, eventCount } = result.total;
      rows.push({
        board: event.board,
        periodKey,
        userId: event.userId,
        score,
        reachedAt,
        eventCount,
        version: nextVersion(before?.version, offset),
        rankScore: toRankScore(order, score),
        baseVersion: stored?.version ?? -1,
        key,
      });
    }
    if (overflow) {
      overflowed.push(candidate);
      continue;
    }
    for (const row of rows) working.set(row.key, row);
    applied++;
  }
  return { totals: [...working.values()], profiles: [...profiles.values()], overflowed, applied };
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
