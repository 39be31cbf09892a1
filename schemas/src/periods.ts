import type { Period } from './events/limits.js';
import { type PeriodCalendar, UTC_CALENDAR, WEEKDAYS, type Weekday } from './events/period-calendar.js';
import { wallClock } from './time-zones.js';

export type PeriodName = 'all' | Period;
export const ALL_TIME = 'all';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO 8601 week-numbering year and week of a UTC date. */
export function isoWeek(ms: number): { year: number; week: number } {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  // The Thursday of this week decides the ISO year.
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  // Week 1 holds the year's first Thursday, so the Thursday's day-of-year fixes the week.
  return { year, week: Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1 };
}

const DAY_MS = 86_400_000;

/**
 * The key of the period containing `ms` on a board with this calendar: all, daily:YYYY-MM-DD,
 * weekly:YYYY-Www, monthly:YYYY-MM, dates as the board's wall clock reads them.
 */
export function periodKey(period: PeriodName, ms: number, calendar: PeriodCalendar = UTC_CALENDAR): string {
  if (period === 'all') return ALL_TIME;
  return periodKeyOfWallClock(period, wallClock(calendar.timeZone, ms), calendar.weekStartsOn);
}

/**
 * The key of the period holding a wall-clock time (an instant whose UTC fields read as the local
 * date). A week that starts on another day than Monday is named by the ISO week of the one Monday
 * it holds, so weekly keys keep one form on every board.
 */
export function periodKeyOfWallClock(period: Period, wall: number, weekStartsOn: Weekday = 'monday'): string {
  const d = new Date(wall);
  switch (period) {
    case 'daily':
      return `daily:${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'weekly': {
      const day = Math.floor(wall / DAY_MS);
      const weekday = (day + 3) % 7; // 1970-01-01 was a Thursday; Monday = 0
      const start = WEEKDAYS.indexOf(weekStartsOn);
      const firstDay = day - ((weekday - start + 7) % 7);
      const { year, week } = isoWeek((firstDay + ((7 - start) % 7)) * DAY_MS);
      return `weekly:${year}-W${pad(week)}`;
    }
    case 'monthly':
      return `monthly:${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  }
}

/** Every period key an event counts toward: all-time first, then one per listed period. */
export function periodKeys(
  occurredAt: number,
  periods: readonly Period[],
  calendar: PeriodCalendar = UTC_CALENDAR,
): string[] {
  if (periods.length === 0) return [ALL_TIME];
  const wall = wallClock(calendar.timeZone, occurredAt);
  return [ALL_TIME, ...periods.map((p) => periodKeyOfWallClock(p, wall, calendar.weekStartsOn))];
}

/** The period an instance key names (`daily:2026-11-23` → daily), or undefined for all-time and unknown keys. */
export function instancePeriod(key: string): Period | undefined {
  const name = key.slice(0, key.indexOf(':'));
  return name === 'daily' || name === 'weekly' || name === 'monthly' ? name : undefined;
}

/**
 * The oldest of the `keep` newest instances of a period at `nowMs` on this calendar: the current
 * one and the keep-1 before it. Keys of one period sort by date, so an instance is among them when
 * its key is at least this one.
 */
export function oldestKeptPeriodKey(period: Period, nowMs: number, calendar: PeriodCalendar, keep: number): string {
  const wall = wallClock(calendar.timeZone, nowMs);
  const back = Math.max(keep - 1, 0);
  switch (period) {
    case 'daily':
      return periodKeyOfWallClock('daily', wall - back * DAY_MS);
    case 'weekly':
      return periodKeyOfWallClock('weekly', wall - back * 7 * DAY_MS, calendar.weekStartsOn);
    case 'monthly': {
      const d = new Date(wall);
      return periodKeyOfWallClock('monthly', Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
    }
  }
}

/**
 * Whether a board instance is one of the `keep` newest of its period at `nowMs` (Redis keeps only
 * those, REDIS_KEEP_PERIODS). All-time always is; `keep` 0 keeps every instance. A future instance is
 * newer than the current one, so it is kept too.
 */
export function isRecentInstance(periodKey: string, nowMs: number, calendar: PeriodCalendar, keep: number): boolean {
  const period = instancePeriod(periodKey);
  if (period === undefined || keep <= 0) return true;
  return periodKey >= oldestKeptPeriodKey(period, nowMs, calendar, keep);
}
