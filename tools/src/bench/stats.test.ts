import { describe, expect, it } from 'vitest';
import { percentileOf, ratio, summarize } from './stats.js';

describe('latency summaries', () => {
  it('take nearest-rank percentiles', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOf(hundred, 50)).toBe(50);
    expect(percentileOf(hundred, 99)).toBe(99);
    expect(percentileOf(hundred, 100)).toBe(100);
    expect(percentileOf([7], 99)).toBe(7);
    expect(percentileOf([], 50)).toBeNaN();
  });

  it('summarize unsorted samples', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ count: 5, p50: 3, p99: 5, max: 5, mean: 3 });
  });

  it('write ratios to two decimals and refuse nonsense', () => {
    expect(ratio(25, 100)).toBe('0.25×');
    expect(ratio(1, 0)).toBe('n/a');
    expect(ratio(Number.NaN, 3)).toBe('n/a');
  });
});
