import { describe, expect, it } from 'vitest';
import { boardKeepsPeriod, currentPeriodKeys, parseDay, periodOfKey, selectPeriodKey } from './period-selection.js';

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
    expect(selectPeriodKey('all', Date.UTC(2020, 0, 1), NOV_23)).toBe('all');
    expect(selectPeriodKey('daily', undefined, NOV_23)).toBe('daily:2026-11-23');
    expect(selectPeriodKey('daily', Date.UTC(2026, 0, 2), NOV_23)).toBe('daily:2026-01-02');
    expect(selectPeriodKey('weekly', Date.UTC(2021, 0, 3), NOV_23)).toBe('weekly:2020-W53');
    expect(selectPeriodKey('monthly', undefined, NOV_23)).toBe('monthly:2026-11');
    expect(currentPeriodKeys(NOV_23)).toEqual({
      daily: 'daily:2026-11-23',
      weekly: 'weekly:2026-W48',
      monthly: 'monthly:2026-11',
    });
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
