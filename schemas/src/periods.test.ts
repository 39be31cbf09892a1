import { describe, expect, it } from 'vitest';
import { isoWeek, isRecentInstance, oldestKeptPeriodKey, periodKey, periodKeys } from './periods.js';

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

describe('periods on a board with a time zone', () => {
  const newYork = { timeZone: 'America/New_York', weekStartsOn: 'monday' } as const;

  it('starts a day at local midnight, on both sides of a daylight-saving change', () => {
    // 2026-03-08: New York moves from UTC-5 to UTC-4 at 02:00 local; 2026-11-01 back at 02:00.
    expect(periodKey('daily', at('2026-03-08T04:59:59.999Z'), newYork)).toBe('daily:2026-03-07');
    expect(periodKey('daily', at('2026-03-08T05:00:00.000Z'), newYork)).toBe('daily:2026-03-08');
    expect(periodKey('daily', at('2026-03-09T03:59:59.999Z'), newYork)).toBe('daily:2026-03-08');
    expect(periodKey('daily', at('2026-03-09T04:00:00.000Z'), newYork)).toBe('daily:2026-03-09');
    expect(periodKey('daily', at('2026-11-02T04:59:59.999Z'), newYork)).toBe('daily:2026-11-01');
    expect(periodKey('daily', at('2026-11-02T05:00:00.000Z'), newYork)).toBe('daily:2026-11-02');
    expect(periodKey('monthly', at('2026-12-01T04:59:59.999Z'), newYork)).toBe('monthly:2026-11');
    expect(periodKey('monthly', at('2026-12-01T05:00:00.000Z'), newYork)).toBe('monthly:2026-12');
  });

  it('handles zones a quarter-hour off the hour, and names differing in case as Intl does', () => {
    const kathmandu = { timeZone: 'Asia/Kathmandu', weekStartsOn: 'monday' } as const; // UTC+5:45
    expect(periodKey('daily', at('2026-06-30T18:14:59.999Z'), kathmandu)).toBe('daily:2026-06-30');
    expect(periodKey('daily', at('2026-06-30T18:15:00.000Z'), kathmandu)).toBe('daily:2026-07-01');
    const lower = { timeZone: 'america/new_york', weekStartsOn: 'monday' } as const;
    expect(periodKey('daily', at('2026-03-08T05:00:00Z'), lower)).toBe('daily:2026-03-08');
  });

  it('starts weeks on the configured day and names each by the ISO week of the Monday it holds', () => {
    const sunday = { timeZone: 'UTC', weekStartsOn: 'sunday' } as const;
    // 2026-11-22 is a Sunday: with Sunday weeks it opens the week holding Monday 2026-11-23 (W48)
    expect(periodKey('weekly', at('2026-11-21T23:59:59Z'), sunday)).toBe('weekly:2026-W47');
    expect(periodKey('weekly', at('2026-11-22T00:00:00Z'), sunday)).toBe('weekly:2026-W48');
    expect(periodKey('weekly', at('2026-11-28T23:59:59Z'), sunday)).toBe('weekly:2026-W48');
    const tuesday = { timeZone: 'UTC', weekStartsOn: 'tuesday' } as const;
    // Tuesday 2026-11-17 .. Monday 2026-11-23 holds Monday 2026-11-23 (W48)
    expect(periodKey('weekly', at('2026-11-16T23:59:59Z'), tuesday)).toBe('weekly:2026-W47');
    expect(periodKey('weekly', at('2026-11-17T00:00:00Z'), tuesday)).toBe('weekly:2026-W48');
    expect(periodKey('weekly', at('2026-11-23T23:59:59Z'), tuesday)).toBe('weekly:2026-W48');
    expect(periodKey('weekly', at('2026-11-24T00:00:00Z'), tuesday)).toBe('weekly:2026-W49');
  });

  it('agrees hour by hour over two years with dates Intl formats for the zone', () => {
    // Independent oracle: the local date as Intl prints it in Swedish (YYYY-MM-DD), no offsets computed.
    for (const timeZone of ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      const print = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
      const calendar = { timeZone, weekStartsOn: 'monday' } as const;
      for (let ms = at('2026-01-01T00:00:00Z'); ms < at('2028-01-01T00:00:00Z'); ms += 3_600_000 - 1) {
        const date = print.format(ms);
        expect(periodKeys(ms, ['daily', 'monthly'], calendar)).toEqual([
          'all',
          `daily:${date}`,
          `monthly:${date.slice(0, 7)}`,
        ]);
      }
    }
  });
});

describe('the instances a store keeping the newest few holds', () => {
  const utc = { timeZone: 'UTC', weekStartsOn: 'monday' } as const;
  const newYork = { timeZone: 'America/New_York', weekStartsOn: 'sunday' } as const;

  it('names the oldest kept instance: the current one and keep-1 before it', () => {
    const now = at('2026-03-01T12:00:00Z'); // a Sunday
    expect(oldestKeptPeriodKey('daily', now, utc, 3)).toBe('daily:2026-02-27');
    expect(oldestKeptPeriodKey('daily', now, utc, 1)).toBe('daily:2026-03-01');
    expect(oldestKeptPeriodKey('weekly', now, utc, 2)).toBe('weekly:2026-W08');
    expect(oldestKeptPeriodKey('monthly', now, utc, 3)).toBe('monthly:2026-01');
    expect(oldestKeptPeriodKey('monthly', at('2026-02-15T00:00:00Z'), utc, 3)).toBe('monthly:2025-12');
    // in New York it is still Saturday 28 February at 03:00 UTC on 1 March; its Sunday week opens on the 1st
    expect(oldestKeptPeriodKey('daily', at('2026-03-01T03:00:00Z'), newYork, 2)).toBe('daily:2026-02-27');
    expect(oldestKeptPeriodKey('weekly', at('2026-03-01T12:00:00Z'), newYork, 1)).toBe('weekly:2026-W10');
    // across the daylight-saving change (2026-03-08), two local days back is still two dates back
    expect(oldestKeptPeriodKey('daily', at('2026-03-09T04:30:00Z'), newYork, 3)).toBe('daily:2026-03-07');
  });

  it('keeps all-time, the newest instances and future ones, and everything with keep 0', () => {
    const now = at('2026-03-01T12:00:00Z');
    expect(isRecentInstance('all', now, utc, 1)).toBe(true);
    expect(isRecentInstance('daily:2026-02-28', now, utc, 2)).toBe(true);
    expect(isRecentInstance('daily:2026-02-27', now, utc, 2)).toBe(false);
    expect(isRecentInstance('daily:2026-03-05', now, utc, 2)).toBe(true);
    expect(isRecentInstance('weekly:2026-W08', now, utc, 1)).toBe(false);
    expect(isRecentInstance('monthly:2025-01', now, utc, 0)).toBe(true);
  });
});
