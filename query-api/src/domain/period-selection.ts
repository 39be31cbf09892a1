import { ALL_TIME, type Period, type PeriodName, periodKey } from '@rankstream/schemas';
import type { CurrentPeriodKeys } from './read-model.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` to the UTC midnight it names, or undefined when it is not a real date. */
export function parseDay(day: string): number | undefined {
  const m = DATE.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms;
}

/** The period key a request names: `at` (a UTC day inside the period) or else the current period. */
export function selectPeriodKey(period: PeriodName, atMs: number | undefined, nowMs: number): string {
  return period === ALL_TIME ? ALL_TIME : periodKey(period, atMs ?? nowMs);
}

/** The period name a key belongs to (`daily:2026-11-23` -> daily). */
export function periodOfKey(key: string): PeriodName | undefined {
  if (key === ALL_TIME) return ALL_TIME;
  const name = key.slice(0, key.indexOf(':'));
  return name === 'daily' || name === 'weekly' || name === 'monthly' ? name : undefined;
}

export function currentPeriodKeys(nowMs: number): CurrentPeriodKeys {
  return {
    daily: periodKey('daily', nowMs),
    weekly: periodKey('weekly', nowMs),
    monthly: periodKey('monthly', nowMs),
  };
}

export function boardKeepsPeriod(periods: readonly Period[], period: PeriodName): boolean {
  return period === ALL_TIME || periods.includes(period);
}
