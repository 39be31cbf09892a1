import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatCalendar,
  formatCount,
  formatDetails,
  formatDuration,
  formatPeriod,
  formatRate,
  percentile,
} from './format.js';

describe('numbers and times for people', () => {
  it('separates thousands and shows a dash for what is unknown', () => {
    expect([formatCount(0), formatCount(999), formatCount(1_234_567), formatCount(-4_200)]).toEqual([
      '0',
      '999',
      '1,234,567',
      '-4,200',
    ]);
    expect([formatCount(null), formatCount(undefined), formatCount(Number.NaN)]).toEqual(['—', '—', '—']);
  });

  it('shows rates whole, and with two decimals below one per second', () => {
    expect([formatRate(0), formatRate(0.25), formatRate(12_345.6), formatRate(null)]).toEqual([
      '0/s',
      '0.25/s',
      '12,346/s',
      '—',
    ]);
  });

  it('shows durations in the unit a person reads at a glance', () => {
    expect([0, 850, 4_240, 59_999, 180_000, 7_500_000, 7_200_000, -1].map(formatDuration)).toEqual([
      '0 ms',
      '850 ms',
      '4.2 s',
      '60.0 s',
      '3 min',
      '2 h 5 min',
      '2 h',
      '—',
    ]);
  });

  it('says how long ago, from just now to days', () => {
    const now = 1_000_000_000_000;
    expect(
      [0, 4_000, 12_000, 300_000, 10_800_000, 86_400_000, 172_800_000].map((d) => formatAgo(now - d, now)),
    ).toEqual(['just now', 'just now', '12 s ago', '5 min ago', '3 h ago', '1 day ago', '2 days ago']);
  });

  it('computes the percentile as the query API does', () => {
    expect([percentile(1, 1), percentile(1, 4), percentile(4, 4), percentile(2, 3), percentile(0, 3)]).toEqual([
      '100.00',
      '100.00',
      '25.00',
      '66.67',
      '—',
    ]);
  });

  it('names a period by its kind and day, not its storage key', () => {
    expect([
      formatPeriod('all', 'all'),
      formatPeriod('daily', 'daily:2026-12-06'),
      formatPeriod('weekly', '2026-W49'),
    ]).toEqual(['all-time', 'daily 2026-12-06', 'weekly 2026-W49']);
  });

  it("shows an entry's details compactly and a board's calendar in words", () => {
    expect(formatDetails({ car: 'red', laps: [31, 30] })).toBe('{"car":"red","laps":[31,30]}');
    expect(formatDetails(null)).toBe('—');
    expect(formatDetails(undefined)).toBe('—');
    expect(formatDetails('x'.repeat(100))).toBe(`"${'x'.repeat(78)}…`);
    expect(formatCalendar('America/New_York', 'sunday')).toBe('America/New_York, weeks from Sunday');
  });
});
