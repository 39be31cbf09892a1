import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankBucketStart } from './rank-buckets.js';

const MAX = Number.MAX_SAFE_INTEGER;
const rankScore = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -MAX, max: MAX }),
  fc.integer({ min: 0, max: 52 }).map((e) => 2 ** e),
  fc.integer({ min: 0, max: 52 }).map((e) => -(2 ** e)),
  fc.integer({ min: 1, max: 53 }).map((e) => 2 ** e - 1),
);

describe('rankBucketStart', () => {
  it('gives every magnitude below 1024 its own bucket', () => {
    for (let x = -1023; x <= 1023; x++) expect(rankBucketStart(x)).toBe(x);
  });

  it('cuts each power of two above 1024 into 512 buckets', () => {
    expect(rankBucketStart(1024)).toBe(1024);
    expect(rankBucketStart(1025)).toBe(1024);
    expect(rankBucketStart(1026)).toBe(1026);
    expect(rankBucketStart(2047)).toBe(2046);
    expect(rankBucketStart(2048)).toBe(2048);
    expect(rankBucketStart(2051)).toBe(2048);
    expect(rankBucketStart(1_000_000)).toBe(999_424);
    expect(rankBucketStart(1_001_000)).toBe(1_000_448);
    expect(rankBucketStart(MAX)).toBe(MAX - (2 ** 43 - 1));
  });

  it('mirrors negative rank scores: a bucket starts at its most negative value', () => {
    expect(rankBucketStart(-1024)).toBe(-1025);
    expect(rankBucketStart(-1025)).toBe(-1025);
    expect(rankBucketStart(-1_000_000)).toBe(-(999_424 + 1023));
    expect(rankBucketStart(-MAX)).toBe(-MAX);
  });

  it('is monotone, idempotent, and never above the value', () => {
    fc.assert(
      fc.property(rankScore, rankScore, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rankBucketStart(lo)).toBeLessThanOrEqual(rankBucketStart(hi));
        expect(rankBucketStart(a)).toBeLessThanOrEqual(a);
        expect(rankBucketStart(rankBucketStart(a))).toBe(rankBucketStart(a));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps a bucket narrower than 1/512 of its magnitude', () => {
    fc.assert(
      fc.property(rankScore, (a) => {
        const spread = Math.abs(a - rankBucketStart(a));
        expect(spread).toBeLessThanOrEqual(Math.max(0, Math.abs(a) / 512));
      }),
      { numRuns: 5000 },
    );
  });
});
