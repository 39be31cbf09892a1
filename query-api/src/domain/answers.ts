import {
  compareIds,
  PERIODS,
  type PeriodCalendar,
  type PeriodName,
  percentile,
  toRankScore,
  toTieKey,
} from '@rankstream/schemas';
import { tieOrdersOf } from './board-def.js';
import { encodeCursor } from './cursor.js';
import type { AtPoint, ReadPeriod } from './period-selection.js';
import type {
  AroundRead,
  BoardSummary,
  RankedRow,
  RanksRead,
  TopRead,
  UserBoardsRead,
  UserRead,
} from './read-model.js';

/**
 * The one place answers get their shape. Both readers feed these functions, so that Redis and
 * PostgreSQL give byte-identical JSON for the same state: property order, sorting and nulls are
 * decided here and nowhere else. Fields are named one by one, never spread: V8 (Node 20) makes an
 * object spread followed by more properties a dictionary-mode object, which took about 7 µs to build
 * and serialise against 1 µs for the same fields assigned in order.
 */
export interface Entry {
  rank: number;
  userId: string;
  username: string | null;
  imageUrl: string | null;
  score: number;
  tiebreaks?: number[];
  details?: unknown;
}

export interface Scope {
  board: string;
  period: ReadPeriod;
  periodKey: string;
  /** The calendar that named periodKey; null when the key does not depend on one (all-time, a cursor's key). */
  calendar: PeriodCalendar | null;
  /** The regional view read (its key ends with @region), if the request named one. */
  region?: string | undefined;
  /** Where `at` pointed, if the request gave one. */
  at?: AtPoint | undefined;
}

/**
 * An entry; with its `tiebreaks` on boards with tie-break columns (one value per column), and its
 * `details` (the parsed JSON, or null) when the read asked for them.
 */
export function shapeEntry(row: RankedRow, columns = 0): Entry {
  const entry: Entry = {
    rank: row.rank,
    userId: row.userId,
    username: row.username,
    imageUrl: row.imageUrl,
    score: row.score,
  };
  if (columns > 0) entry.tiebreaks = tiebreakValues(row, columns);
  if (row.details !== undefined) entry.details = row.details === null ? null : JSON.parse(row.details);
  return entry;
}

/** A row's tie-break values, one per column: the stores hold them in full, and a missing one is 0. */
function tiebreakValues(row: RankedRow, columns: number): number[] {
  return Array.from({ length: columns }, (_, i) => row.tiebreaks?.[i] ?? 0);
}

function byRank(a: RankedRow, b: RankedRow): number {
  return a.rank - b.rank;
}

function canonicalPeriods(periods: readonly string[]): string[] {
  return PERIODS.filter((p) => periods.includes(p));
}

export function shapeBoards(boards: readonly BoardSummary[]) {
  return {
    boards: [...boards]
      .sort((a, b) => compareIds(a.board, b.board))
      .map((b) => ({
        board: b.board,
        order: b.order,
        tiebreaks: b.tiebreaks,
        periods: canonicalPeriods(b.periods),
        timeZone: b.timeZone,
        weekStartsOn: b.weekStartsOn,
        players: b.players,
        regions: [...b.regions].sort((x, y) => compareIds(x.region, y.region)),
      })),
  };
}

type ScopeFields = { board: string; period: ReadPeriod; periodKey: string; region?: string };

/**
 * What every board answer says of what it read (the board, period and instance, and the region if
 * one), followed by `rest`'s fields, in that order, without a spread (see the top of the file).
 */
function scoped<T extends object>(scope: Scope, rest: T): ScopeFields & T {
  const { board, period, periodKey, region } = scope;
  const fields: ScopeFields =
    region === undefined ? { board, period, periodKey } : { board, period, periodKey, region };
  return Object.assign(fields, rest);
}

export function shapeTop(scope: Scope, read: TopRead) {
  const rows = [...read.entries].sort(byRank);
  const last = rows.at(-1);
  const nextCursor =
    last && last.rank < read.total
      ? encodeCursor({
          periodKey: scope.periodKey,
          after: {
            rankScore: toRankScore(read.def.order, last.score),
            reachedAt: last.reachedAt,
            userId: last.userId,
            tieKey: toTieKey(tieOrdersOf(read.def), last.tiebreaks),
          },
        })
      : null;
  const columns = read.def.tiebreaks.length;
  return scoped(scope, { total: read.total, entries: rows.map((r) => shapeEntry(r, columns)), nextCursor });
}

/** undefined: the user has no score there (a 404). */
export function shapeUser(scope: Scope, read: UserRead) {
  const e = read.entry;
  if (!e) return undefined;
  const answer: Record<string, unknown> = scoped(scope, {
    rank: e.rank,
    userId: e.userId,
    username: e.username,
    imageUrl: e.imageUrl,
    score: e.score,
    total: read.total,
    percentile: percentile(e.rank, read.total),
  });
  const columns = read.def.tiebreaks.length;
  if (columns > 0) answer.tiebreaks = tiebreakValues(e, columns);
  if (e.details !== undefined) answer.details = shapeEntry(e).details;
  return answer;
}

export function shapeAround(scope: Scope, read: AroundRead) {
  if (!read.found) return undefined;
  const columns = read.def.tiebreaks.length;
  const entries = [...read.entries].sort(byRank).map((r) => shapeEntry(r, columns));
  return scoped(scope, { total: read.total, entries });
}

export function shapeRanks(scope: Scope, read: RanksRead, requested: readonly string[]) {
  const known = new Set(read.entries.map((e) => e.userId));
  return scoped(scope, {
    total: read.total,
    entries: [...read.entries].sort(byRank).map((r) => shapeEntry(r, read.def.tiebreaks.length)),
    unknownUserIds: requested.filter((id) => !known.has(id)),
  });
}

const PERIOD_RANK: Record<string, number> = { all: 0, daily: 1, weekly: 2, monthly: 3, season: 4 };

function periodOf(key: string): PeriodName {
  return (key === 'all' ? 'all' : key.slice(0, key.indexOf(':'))) as PeriodName;
}

/** undefined: the user has neither a profile nor a score (a 404). */
export function shapeUserBoards(userId: string, read: UserBoardsRead) {
  if (!read.profile && read.boards.length === 0) return undefined;
  const boards = [...read.boards]
    .sort(
      (a, b) =>
        compareIds(a.board, b.board) ||
        (PERIOD_RANK[periodOf(a.periodKey)] ?? 9) - (PERIOD_RANK[periodOf(b.periodKey)] ?? 9),
    )
    .map((s) => ({
      board: s.board,
      period: periodOf(s.periodKey),
      periodKey: s.periodKey,
      rank: s.rank,
      score: s.score,
      total: s.total,
    }));
  return {
    userId,
    username: read.profile?.username ?? null,
    imageUrl: read.profile?.imageUrl ?? null,
    region: read.profile?.region ?? null,
    boards,
  };
}

/** What the user stream pushes: the user's standing (null while unranked) and the neighbours. */
export function shapeUserStream(scope: Scope, userId: string, around: AroundRead) {
  const own = around.found ? around.entries.find((e) => e.userId === userId) : undefined;
  return scoped(scope, {
    total: around.total,
    user: own ? (shapeUser(scope, { def: around.def, total: around.total, entry: own }) ?? null) : null,
    entries: around.found
      ? [...around.entries].sort(byRank).map((r) => shapeEntry(r, around.def.tiebreaks.length))
      : [],
  });
}
