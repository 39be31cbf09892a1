import type { BoardEvent } from './events/board-event.js';
import type { Period } from './events/limits.js';
import { type PeriodCalendar, UTC_CALENDAR } from './events/period-calendar.js';
import { ALL_TIME, instancePeriod, isRecentInstance, periodKey } from './periods.js';
import { globalKeyOf } from './regions.js';

/** A season of a board: events whose occurredAt is in [startsAt, endsAt) count toward it. */
export interface Season {
  seasonId: string;
  startsAt: number;
  endsAt: number;
}

/**
 * What a board's schedule changes have made of it: its seasons (by start, never overlapping) and
 * the instants it was reset at (ascending). The same fold serves the ingest API (to refuse an event
 * in no season), each of the projector's partitions (at that partition's log position) and the query
 * API (to name the current instances).
 */
export interface BoardSchedule {
  seasons: readonly Season[];
  resets: readonly number[];
}

export const EMPTY_SCHEDULE: BoardSchedule = { seasons: [], resets: [] };

export type ScheduleChange =
  | { action: 'season'; season: Season }
  /** Ends the current calendar instances and season at `at`; `next`, when given, starts then. */
  | { action: 'reset'; at: number; next: Season | null };

/** Why a change cannot apply; the schedule stays as it was. */
export type ScheduleConflict =
  | { reason: 'season_overlaps'; season: Season }
  | { reason: 'season_exists'; season: Season };

export function scheduleChangeOf(event: BoardEvent): ScheduleChange {
  const { seasonId, startsAt, endsAt } = event;
  const season = seasonId !== null && startsAt !== null && endsAt !== null ? { seasonId, startsAt, endsAt } : null;
  if (event.action === 'season') {
    if (season === null) throw new Error('a season event names its season');
    return { action: 'season', season };
  }
  return { action: 'reset', at: event.occurredAt, next: season };
}

function sameSeason(a: Season, b: Season): boolean {
  return a.seasonId === b.seasonId && a.startsAt === b.startsAt && a.endsAt === b.endsAt;
}

/** Where a new season would not fit: a season of that id with another interval, or one it overlaps. */
export function seasonConflict(schedule: BoardSchedule, season: Season): ScheduleConflict | undefined {
  for (const s of schedule.seasons) {
    if (sameSeason(s, season)) continue;
    if (s.seasonId === season.seasonId) return { reason: 'season_exists', season: s };
    if (s.startsAt < season.endsAt && season.startsAt < s.endsAt) return { reason: 'season_overlaps', season: s };
  }
  return undefined;
}

function withSeason(seasons: readonly Season[], season: Season): Season[] {
  if (seasons.some((s) => sameSeason(s, season))) return [...seasons];
  return [...seasons, season].sort((a, b) => a.startsAt - b.startsAt);
}

/**
 * The schedule after one change. A season that does not fit (conflict) leaves the schedule as it
 * was: the ingest API refuses such a change before it is logged, so only a race between two
 * admins can log one, and then the first in the log wins everywhere. Applying a change twice
 * changes nothing the second time.
 */
export function applyScheduleChange(
  schedule: BoardSchedule,
  change: ScheduleChange,
): { schedule: BoardSchedule; conflict?: ScheduleConflict } {
  if (change.action === 'season') {
    if (schedule.seasons.some((s) => sameSeason(s, change.season))) return { schedule };
    const conflict = seasonConflict(schedule, change.season);
    if (conflict !== undefined) return { schedule, conflict };
    return { schedule: { seasons: withSeason(schedule.seasons, change.season), resets: schedule.resets } };
  }
  const { at, next } = change;
  if (schedule.resets.includes(at) && (next === null || schedule.seasons.some((s) => sameSeason(s, next)))) {
    return { schedule };
  }
  // The season in progress at the reset ends there; one starting later keeps its interval.
  const seasons = schedule.seasons.map((s) => (s.startsAt < at && at < s.endsAt ? { ...s, endsAt: at } : s));
  const resets = schedule.resets.includes(at) ? schedule.resets : [...schedule.resets, at].sort((a, b) => a - b);
  const ended = { seasons, resets };
  if (next === null) return { schedule: ended };
  const conflict = seasonConflict(ended, next);
  if (conflict !== undefined) return { schedule: ended, conflict };
  return { schedule: { seasons: withSeason(seasons, next), resets } };
}

export function foldSchedule(changes: readonly ScheduleChange[], from: BoardSchedule = EMPTY_SCHEDULE): BoardSchedule {
  let schedule = from;
  for (const change of changes) schedule = applyScheduleChange(schedule, change).schedule;
  return schedule;
}

export const SEASON_PERIOD = 'season';

export function seasonKey(seasonId: string): string {
  return `${SEASON_PERIOD}:${seasonId}`;
}

/** The season id a `season:<id>` key names, or undefined for other keys. */
export function seasonOfKey(key: string): string | undefined {
  return key.startsWith(`${SEASON_PERIOD}:`) ? key.slice(SEASON_PERIOD.length + 1) : undefined;
}

/**
 * Whether Redis keeps a board instance (REDIS_KEEP_PERIODS, `keep` newest per kind; 0 keeps all):
 * a calendar instance by its date (isRecentInstance), a season when it has not started by `nowMs` or
 * is one of the `keep` newest that have, a regional copy as its global instance. A season the
 * schedule does not name yet is kept: nothing can place it.
 */
export function isKeptInstance(
  periodKey: string,
  nowMs: number,
  calendar: PeriodCalendar,
  schedule: BoardSchedule,
  keep: number,
): boolean {
  if (keep <= 0) return true;
  const key = globalKeyOf(periodKey);
  const seasonId = seasonOfKey(key);
  if (seasonId === undefined) return isRecentInstance(key, nowMs, calendar, keep);
  const season = schedule.seasons.find((s) => s.seasonId === seasonId);
  if (season === undefined || season.startsAt > nowMs) return true;
  const newer = schedule.seasons.filter((s) => s.startsAt <= nowMs && s.startsAt > season.startsAt).length;
  return newer < keep;
}

/** The season whose interval holds `ms`, if any. */
export function seasonAt(schedule: BoardSchedule, ms: number): Season | undefined {
  for (const s of schedule.seasons) if (s.startsAt <= ms && ms < s.endsAt) return s;
  return undefined;
}

/** The season in progress at `ms`, or else the last one that ended before it. */
export function currentOrLastSeason(schedule: BoardSchedule, ms: number): Season | undefined {
  let last: Season | undefined;
  for (const s of schedule.seasons) {
    if (s.startsAt <= ms && ms < s.endsAt) return s;
    if (s.endsAt <= ms) last = s;
  }
  return last;
}

/**
 * The instance of a calendar period that holds `ms`: the calendar's key (`daily:2026-12-07`), or,
 * when the board was reset inside that calendar instance at or before `ms`, the key with the last
 * such reset's instant (`daily:2026-12-07~1796655600000`). Keys of one period still sort in time.
 */
export function resetInstanceKey(
  calendarKey: string,
  ms: number,
  resets: readonly number[],
  calendar: PeriodCalendar = UTC_CALENDAR,
): string {
  const period = instancePeriod(calendarKey);
  if (period === undefined || resets.length === 0) return calendarKey;
  for (let i = resets.length - 1; i >= 0; i--) {
    const at = resets[i] as number;
    if (at > ms) continue;
    const key = periodKey(period, at, calendar);
    if (key === calendarKey) return `${calendarKey}~${at}`;
    // Resets are ascending, and an earlier reset lies in an earlier instance.
    if (key < calendarKey) break;
  }
  return calendarKey;
}

/** The calendar key an instance key was cut from (`daily:2026-12-07~…` → `daily:2026-12-07`). */
export function calendarKeyOf(instanceKey: string): string {
  const cut = instanceKey.indexOf('~');
  return cut < 0 ? instanceKey : instanceKey.slice(0, cut);
}

/**
 * Every instance key an event counts toward on a board with this schedule: its calendar keys (all
 * time first, never reset) split by resets, then its season's. Undefined: the board has seasons and
 * none holds the event (it is refused, `no_season`).
 */
export function scheduledKeys(
  calendarKeys: readonly string[],
  occurredAt: number,
  schedule: BoardSchedule,
  calendar: PeriodCalendar = UTC_CALENDAR,
): string[] | undefined {
  const keys =
    schedule.resets.length === 0
      ? [...calendarKeys]
      : calendarKeys.map((k) => (k === ALL_TIME ? k : resetInstanceKey(k, occurredAt, schedule.resets, calendar)));
  if (schedule.seasons.length === 0) return keys;
  const season = seasonAt(schedule, occurredAt);
  if (season === undefined) return undefined;
  keys.push(seasonKey(season.seasonId));
  return keys;
}

/** The instance of `period` in progress at `nowMs` on a board with this schedule. */
export function currentInstanceKey(
  period: Period,
  nowMs: number,
  schedule: BoardSchedule,
  calendar: PeriodCalendar = UTC_CALENDAR,
): string {
  return resetInstanceKey(periodKey(period, nowMs, calendar), nowMs, schedule.resets, calendar);
}

/** The last instance of a calendar instance (after its last reset): what `at=<day>` reads. */
export function lastInstanceKey(calendarKey: string, schedule: BoardSchedule, calendar = UTC_CALENDAR): string {
  return resetInstanceKey(calendarKey, Number.MAX_SAFE_INTEGER, schedule.resets, calendar);
}

/** A schedule change as board_changes and partition_board_changes store it (pg gives bigints as text). */
export interface BoardChangeRecord {
  board: string;
  action: string;
  season_id: string | null;
  starts_at: string | number | null;
  ends_at: string | number | null;
  occurred_at: string | number;
}

export function boardChangeRecord(board: string, change: ScheduleChange, occurredAt: number): BoardChangeRecord {
  const season = change.action === 'season' ? change.season : change.next;
  return {
    board,
    action: change.action,
    season_id: season?.seasonId ?? null,
    starts_at: season === null ? null : String(season.startsAt),
    ends_at: season === null ? null : String(season.endsAt),
    occurred_at: String(change.action === 'reset' ? change.at : occurredAt),
  };
}

export function changeOfRecord(r: BoardChangeRecord): ScheduleChange {
  const season =
    r.season_id === null || r.starts_at === null || r.ends_at === null
      ? null
      : { seasonId: r.season_id, startsAt: Number(r.starts_at), endsAt: Number(r.ends_at) };
  if (r.action === 'season') {
    if (season === null) throw new Error(`a season change of board ${r.board} without its season`);
    return { action: 'season', season };
  }
  if (r.action === 'reset') return { action: 'reset', at: Number(r.occurred_at), next: season };
  throw new Error(`unknown board change ${r.action}`);
}

/** Each board's schedule from its stored changes, given in order. */
export function foldBoardChanges(records: readonly BoardChangeRecord[]): Map<string, BoardSchedule> {
  const schedules = new Map<string, BoardSchedule>();
  for (const r of records) {
    const before = schedules.get(r.board) ?? EMPTY_SCHEDULE;
    schedules.set(r.board, applyScheduleChange(before, changeOfRecord(r)).schedule);
  }
  return schedules;
}

export type SeasonStatus = 'upcoming' | 'current' | 'ended';

export function seasonStatus(season: Season, nowMs: number): SeasonStatus {
  if (nowMs < season.startsAt) return 'upcoming';
  return nowMs < season.endsAt ? 'current' : 'ended';
}
