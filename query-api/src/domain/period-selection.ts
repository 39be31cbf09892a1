import {
  ALL_TIME,
  instancePeriod,
  type Period,
  type PeriodCalendar,
  type PeriodName,
  periodKey,
  periodKeyOfWallClock,
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

/** The period key a request names: `at` (a day inside the period, on the board's calendar) or else the current period. */
export function selectPeriodKey(
  period: PeriodName,
  atDay: number | undefined,
  nowMs: number,
  calendar: PeriodCalendar = UTC_CALENDAR,
): string {
  if (period === ALL_TIME) return ALL_TIME;
  if (atDay !== undefined) return periodKeyOfWallClock(period, atDay, calendar.weekStartsOn);
  return periodKey(period, nowMs, calendar);
}

/** The period name a key belongs to (`daily:2026-11-23` -> daily). */
export function periodOfKey(key: string): PeriodName | undefined {
  return key === ALL_TIME ? ALL_TIME : instancePeriod(key);
}

export function currentPeriodKeys(nowMs: number, calendar: PeriodCalendar = UTC_CALENDAR): CurrentPeriodKeys {
  return {
    daily: periodKey('daily', nowMs, calendar),
    weekly: periodKey('weekly', nowMs, calendar),
    monthly: periodKey('monthly', nowMs, calendar),
  };
}

export function boardKeepsPeriod(periods: readonly Period[], period: PeriodName): boolean {
  return period === ALL_TIME || periods.includes(period);
}
