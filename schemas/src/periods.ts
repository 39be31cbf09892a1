import type { Period } from './events/limits.js';

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

/** The key of the period containing `ms` (UTC): all, daily:YYYY-MM-DD, weekly:YYYY-Www, monthly:YYYY-MM. */
export function periodKey(period: PeriodName, ms: number): string {
  if (period === 'all') return ALL_TIME;
  const d = new Date(ms);
  switch (period) {
    case 'daily':
      return `daily:${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'weekly': {
      const { year, week } = isoWeek(ms);
      return `weekly:${year}-W${pad(week)}`;
    }
    case 'monthly':
      return `monthly:${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  }
}

/** Every period key an event counts toward: all-time first, then one per listed period. */
export function periodKeys(occurredAt: number, periods: readonly Period[]): string[] {
  return [ALL_TIME, ...periods.map((p) => periodKey(p, occurredAt))];
}
