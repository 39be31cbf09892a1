import {
  ALL_TIME,
  type BoardSchedule,
  currentInstanceKey,
  EMPTY_SCHEDULE,
  globalKeyOf,
  instancePeriod,
  lastInstanceKey,
  type Period,
  type PeriodCalendar,
  type PeriodName,
  periodKeyOfWallClock,
  SEASON_PERIOD,
  seasonAt,
  seasonKey,
  seasonOfKey,
  UTC_CALENDAR,
} from '@rankstream/schemas';
import type { CurrentPeriodKeys } from './read-model.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `YYYY-MM-DD` to the UTC midnight it names, or undefined when it is not a real date. A board's
 * `at` is a day on its own calendar, so this is a wall-clock time (periodKeyOfWallClock), not an instant.
 */
export function parseDay(day: string): number | undefined {
  const m = DATE.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Where `at` points: a day on the board's calendar (`YYYY-MM-DD`, a wall-clock time) or an instant
 * (RFC 3339), which also tells the instances of one day apart when the board was reset during it.
 */
export type AtPoint = { day: number } | { instant: number };

export function parseAt(text: string): AtPoint | undefined {
  const day = parseDay(text);
  if (day !== undefined) return { day };
  if (!INSTANT.test(text)) return undefined;
  const instant = Date.parse(text);
  return Number.isNaN(instant) ? undefined : { instant };
}

/** What a read may name: all-time, a calendar period, or a season. */
export type ReadPeriod = PeriodName | typeof SEASON_PERIOD;

/**
 * The instance key a request names: the instance in progress, or with `at` the one holding that
 * instant, or the last one of the period holding that day (after any reset in it).
 */
export function selectPeriodKey(
  period: PeriodName,
  at: AtPoint | undefined,
  nowMs: number,
  calendar: PeriodCalendar = UTC_CALENDAR,
  schedule: BoardSchedule = EMPTY_SCHEDULE,
): string {
  if (period === ALL_TIME) return ALL_TIME;
  if (at === undefined) return currentInstanceKey(period, nowMs, schedule, calendar);
  if ('instant' in at) return currentInstanceKey(period, at.instant, schedule, calendar);
  return lastInstanceKey(periodKeyOfWallClock(period, at.day, calendar.weekStartsOn), schedule, calendar);
}

/** The period a key belongs to (`daily:2026-11-23` -> daily, `season:s1` -> season). */
export function periodOfKey(regionalOrGlobal: string): ReadPeriod | undefined {
  const key = globalKeyOf(regionalOrGlobal);
  if (seasonOfKey(key) !== undefined) return SEASON_PERIOD;
  return key === ALL_TIME ? ALL_TIME : instancePeriod(key);
}

export function currentPeriodKeys(
  nowMs: number,
  calendar: PeriodCalendar = UTC_CALENDAR,
  schedule: BoardSchedule = EMPTY_SCHEDULE,
): CurrentPeriodKeys {
  const keys = {
    daily: currentInstanceKey('daily', nowMs, schedule, calendar),
    weekly: currentInstanceKey('weekly', nowMs, schedule, calendar),
    monthly: currentInstanceKey('monthly', nowMs, schedule, calendar),
  };
  const season = seasonAt(schedule, nowMs);
  return season === undefined ? keys : { ...keys, season: seasonKey(season.seasonId) };
}

/** Whether the board keeps the period; seasons are checked when the request names one. */
export function boardKeepsPeriod(periods: readonly Period[], period: ReadPeriod): boolean {
  return period === ALL_TIME || period === SEASON_PERIOD || periods.includes(period);
}
