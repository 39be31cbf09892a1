import { describe, expect, it } from 'vitest';
import { isoWeek, periodKey, periodKeys } from './periods.js';

const at = (iso: string) => Date.parse(iso);

describe('periodKey', () => {
  it('names days, months and all-time in UTC', () => {
    expect(periodKey('daily', at('2026-11-23T23:59:59.999Z'))).toBe('daily:2026-11-23');
    expect(periodKey('daily', at('2026-11-24T00:00:00.000Z'))).toBe('daily:2026-11-24');
    expect(periodKey('monthly', at('2026-01-31T12:00:00Z'))).toBe('monthly:2026-01');
    expect(periodKey('all', at('2026-01-31T12:00:00Z'))).toBe('all');
  });

  it('uses ISO weeks, whose year can differ from the calendar year', () => {
    // Known ISO weeks: 2021-01-03 is in 2020-W53; 2024-12-30 is in 2025-W01; 2026-11-23 is a Monday of W48.
    expect(periodKey('weekly', at('2021-01-03T10:00:00Z'))).toBe('weekly:2020-W53');
    expect(periodKey('weekly', at('2021-01-04T00:00:00Z'))).toBe('weekly:2021-W01');
    expect(periodKey('weekly', at('2024-12-30T00:00:00Z'))).toBe('weekly:2025-W01');
    expect(periodKey('weekly', at('2026-11-23T00:00:00Z'))).toBe('weekly:2026-W48');
    expect(periodKey('weekly', at('2026-11-22T23:59:59Z'))).toBe('weekly:2026-W47');
  });

  it('agrees with a day-by-day count of Thursdays for every day of 2000-2040', () => {
    // Independent oracle: the ISO week of a date is the week of its Thursday, counted from that year's first Thursday.
    for (let ms = at('2000-01-03T00:00:00Z'); ms < at('2040-01-01T00:00:00Z'); ms += 86_400_000) {
      const dow = (new Date(ms).getUTCDay() + 6) % 7;
      const thu = new Date(ms + (3 - dow) * 86_400_000);
      const year = thu.getUTCFullYear();
      let firstThu = Date.UTC(year, 0, 1);
      while (new Date(firstThu).getUTCDay() !== 4) firstThu += 86_400_000;
      const week = (thu.getTime() - firstThu) / (7 * 86_400_000) + 1;
      expect(isoWeek(ms)).toEqual({ year, week });
    }
  });
});

describe('periodKeys', () => {
  it('always includes all-time first, then the listed periods', () => {
    expect(periodKeys(at('2026-11-23T08:00:00Z'), [])).toEqual(['all']);
    expect(periodKeys(at('2026-11-23T08:00:00Z'), ['monthly', 'daily', 'weekly'])).toEqual([
      'all',
      'monthly:2026-11',
      'daily:2026-11-23',
      'weekly:2026-W48',
    ]);
  });
});
