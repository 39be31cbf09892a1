import { describe, expect, it } from 'vitest';
import { coversRequirements, projectionLagMs, redisBehindMs } from './projection-lag.js';

describe('projection lag', () => {
  it('is 0 for partitions at their log end and the worst time since caught up otherwise', () => {
    const state = {
      watermark: { 0: 10, 1: 4, 2: 9 },
      progress: {
        0: { logEnd: 10, caughtUpAt: 0 },
        1: { logEnd: 6, caughtUpAt: 9_000 },
        2: { logEnd: 12, caughtUpAt: 9_500 },
      },
    };
    expect(projectionLagMs(state, 10_000)).toBe(1_000);
    expect(projectionLagMs({ watermark: {}, progress: {} }, 10_000)).toBe(0);
    expect(projectionLagMs({ watermark: {}, progress: { 3: { logEnd: 1, caughtUpAt: 2_000 } } }, 10_000)).toBe(8_000);
  });

  it('a clock behind the heartbeat never gives a negative lag', () => {
    expect(projectionLagMs({ watermark: {}, progress: { 0: { logEnd: 1, caughtUpAt: 20_000 } } }, 10_000)).toBe(0);
  });
});

describe('consistency requirements', () => {
  it('are covered when every named partition has reached its offset', () => {
    const reqs = [{ topic: 't', offsets: { 0: 5, 2: 1 } }];
    expect(coversRequirements({ 0: 5, 2: 1 }, reqs)).toBe(true);
    expect(coversRequirements({ 0: 6, 2: 3, 1: 0 }, reqs)).toBe(true);
    expect(coversRequirements({ 0: 4, 2: 1 }, reqs)).toBe(false);
    expect(coversRequirements({ 0: 5 }, reqs)).toBe(false);
    expect(coversRequirements({}, [])).toBe(true);
  });
});

describe('Redis behind PostgreSQL', () => {
  const samples = [
    { at: 1_000, offsets: { 0: 5, 1: 3 } },
    { at: 2_000, offsets: { 0: 7, 1: 3 } },
    { at: 3_000, offsets: { 0: 9, 1: 4 } },
  ];
  it('is the age of the oldest PostgreSQL sample Redis has not reached', () => {
    expect(redisBehindMs(samples, { 0: 9, 1: 4 }, 5_000)).toBe(0);
    expect(redisBehindMs(samples, { 0: 7, 1: 3 }, 5_000)).toBe(2_000);
    expect(redisBehindMs(samples, { 0: 6, 1: 3 }, 5_000)).toBe(3_000);
    expect(redisBehindMs(samples, { 0: 9 }, 5_000)).toBe(4_000);
    expect(redisBehindMs([], {}, 5_000)).toBe(0);
  });
});
