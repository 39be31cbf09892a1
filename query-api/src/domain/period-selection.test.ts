import { describe, expect, it } from 'vitest';
import {
  boardKeepsPeriod,
  currentPeriodKeys,
  parseAt,
  parseDay,
  periodOfKey,
  selectPeriodKey,
} from './period-selection.js';

const NOV_23 = Date.UTC(2026, 10, 23, 13, 0);

describe('period selection', () => {
  it('parses real UTC days only', () => {
    expect(parseDay('2026-11-23')).toBe(Date.UTC(2026, 10, 23));
    expect(parseDay('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDay('2026-02-29')).toBeUndefined();
    expect(parseDay('2026-13-01')).toBeUndefined();
    expect(parseDay('2026-1-01')).toBeUndefined();
    expect(parseDay('yesterday')).toBeUndefined();
  });

  it('picks the period containing at, or the current one', () => {
    expect(selectPeriodKey('all', { day: Date.UTC(2020, 0, 1) }, NOV_23)).toBe('all');
    expect(selectPeriodKey('daily', undefined, NOV_23)).toBe('daily:2026-11-23');
    expect(selectPeriodKey('daily', { day: Date.UTC(2026, 0, 2) }, NOV_23)).toBe('daily:2026-01-02');
    expect(selectPeriodKey('weekly', { day: Date.UTC(2021, 0, 3) }, NOV_23)).toBe('weekly:2020-W53');
    expect(selectPeriodKey('monthly', undefined, NOV_23)).toBe('monthly:2026-11');
    expect(currentPeriodKeys(NOV_23)).toEqual({
      daily: 'daily:2026-11-23',
      weekly: 'weekly:2026-W48',
      monthly: 'monthly:2026-11',
    });
  });

  it("names periods on the board's calendar: now in its zone, and at as a day of its own", () => {
    const newYork = { timeZone: 'America/New_York', weekStartsOn: 'sunday' } as const;
    // 2026-11-23T03:00Z is still Sunday the 22nd in New York, the first day of its week holding Monday the 23rd
    const lateSunday = Date.UTC(2026, 10, 23, 3, 0);
    expect(selectPeriodKey('daily', undefined, lateSunday, newYork)).toBe('daily:2026-11-22');
    expect(selectPeriodKey('daily', undefined, lateSunday)).toBe('daily:2026-11-23');
    expect(currentPeriodKeys(lateSunday, newYork)).toEqual({
      daily: 'daily:2026-11-22',
      weekly: 'weekly:2026-W48',
      monthly: 'monthly:2026-11',
    });
    // at=2026-11-29 (a Sunday) opens the next Sunday week; in ISO weeks it still closes W48
    expect(selectPeriodKey('weekly', parseAt('2026-11-29'), lateSunday, newYork)).toBe('weekly:2026-W49');
    expect(selectPeriodKey('weekly', parseAt('2026-11-29'), lateSunday)).toBe('weekly:2026-W48');
    expect(selectPeriodKey('daily', parseAt('2026-03-08'), lateSunday, newYork)).toBe('daily:2026-03-08');
  });

  it('reads an instant in at as the instance holding it, and a day as its last instance after a reset', () => {
    const reset = Date.UTC(2026, 10, 23, 15, 0);
    const schedule = { seasons: [], resets: [reset] };
    expect(parseAt('2026-11-23T14:59:59Z')).toEqual({ instant: reset - 1000 });
    expect(parseAt('2026-11-23T16:00:00.5+01:00')).toEqual({ instant: reset + 500 });
    expect(parseAt('2026-11-23T16:00')).toBeUndefined();
    expect(selectPeriodKey('daily', parseAt('2026-11-23T14:59:59Z'), NOV_23, undefined, schedule)).toBe(
      'daily:2026-11-23',
    );
    expect(selectPeriodKey('daily', parseAt('2026-11-23T15:00:00Z'), NOV_23, undefined, schedule)).toBe(
      `daily:2026-11-23~${reset}`,
    );
    expect(selectPeriodKey('daily', parseAt('2026-11-23'), NOV_23, undefined, schedule)).toBe(
      `daily:2026-11-23~${reset}`,
    );
    // before the reset, the day's instance in progress is the first one
    expect(selectPeriodKey('daily', undefined, NOV_23, undefined, schedule)).toBe('daily:2026-11-23');
    expect(periodOfKey(`daily:2026-11-23~${reset}`)).toBe('daily');
    expect(periodOfKey('season:s1')).toBe('season');
  });

  it('knows the period of a key and whether a board keeps it', () => {
    expect(periodOfKey('all')).toBe('all');
    expect(periodOfKey('weekly:2026-W48')).toBe('weekly');
    expect(periodOfKey('yearly:2026')).toBeUndefined();
    expect(boardKeepsPeriod([], 'all')).toBe(true);
    expect(boardKeepsPeriod(['daily'], 'daily')).toBe(true);
    expect(boardKeepsPeriod(['daily'], 'weekly')).toBe(false);
  });
});
