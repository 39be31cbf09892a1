import { z } from 'zod';
import { isTimeZone } from '../time-zones.js';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Where a board's periods begin: midnight in `timeZone`, and weeks on `weekStartsOn`. */
export interface PeriodCalendar {
  /** An IANA zone name, e.g. America/New_York. */
  timeZone: string;
  weekStartsOn: Weekday;
}

/** UTC days and ISO weeks: what an event without a calendar counts by. */
export const UTC_CALENDAR: PeriodCalendar = { timeZone: 'UTC', weekStartsOn: 'monday' };

export const timeZoneSchema = z.string().refine(isTimeZone, 'must be an IANA time zone name, e.g. America/New_York');
export const weekdaySchema = z.enum(WEEKDAYS);

export const periodCalendarSchema = z.object({ timeZone: timeZoneSchema, weekStartsOn: weekdaySchema });

const WEEKDAY_NAMES: ReadonlySet<unknown> = new Set(WEEKDAYS);

/** The fast path's check of a decoded calendar (score-event.ts): the calendar, or undefined when invalid. */
export function periodCalendarFromRecord(calendar: unknown): PeriodCalendar | undefined {
  const { timeZone, weekStartsOn } = calendar as Record<string, unknown>;
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone) || !WEEKDAY_NAMES.has(weekStartsOn)) return undefined;
  return { timeZone, weekStartsOn: weekStartsOn as Weekday };
}

/** Events of UTC/Monday boards carry no calendar, so that they stay as they were before calendars. */
export function stampedCalendar(calendar: PeriodCalendar): PeriodCalendar | null {
  const { timeZone, weekStartsOn } = calendar;
  return timeZone === 'UTC' && weekStartsOn === 'monday' ? null : { timeZone, weekStartsOn };
}
