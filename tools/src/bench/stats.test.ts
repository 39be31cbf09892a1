import { describe, expect, it } from 'vitest';
import { percentileOf, ratio, summarize, sustainedRate } from './stats.js';

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

describe('sustained rate', () => {
  const samples = [
    { seconds: 1, applied: 0 },
    { seconds: 2, applied: 0 },
    { seconds: 3, applied: 100 },
    { seconds: 5, applied: 500 },
    { seconds: 7, applied: 900 },
    { seconds: 8, applied: 1000 },
  ];

  it('measures between the first samples past each bound, skipping the start-up', () => {
    expect(sustainedRate(samples, 100, 900)).toBe(200);
    expect(sustainedRate(samples, 50, 600)).toBe(200);
  });

  it('is NaN when the run never got past a bound or the bounds share a sample', () => {
    expect(sustainedRate(samples, 100, 2000)).toBeNaN();
    expect(sustainedRate(samples, 950, 1000)).toBeNaN();
    expect(sustainedRate([], 0, 1)).toBeNaN();
  });
});
