import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareEntries,
  compareIds,
  fromRankScore,
  fromRedisMember,
  fromTieKey,
  percentile,
  type RankedEntry,
  toRankScore,
  toRedisMember,
  toTieKey,
} from './ranking.js';

const e = (userId: string, score: number, reachedAt: number): RankedEntry => ({ userId, score, reachedAt });

describe('compareEntries', () => {
  it('orders desc boards by score high first, then earlier reachedAt, then userId', () => {
    const entries = [e('b', 10, 5), e('a', 10, 5), e('c', 10, 4), e('d', 11, 9), e('e', -1, 1)];
    expect(entries.sort(compareEntries('desc')).map((x) => x.userId)).toEqual(['d', 'c', 'a', 'b', 'e']);
  });

  it('orders asc boards by score low first with the same tie-breaks', () => {
    const entries = [e('b', 10, 5), e('a', 10, 5), e('c', 10, 4), e('d', 11, 9), e('e', -1, 1)];
    expect(entries.sort(compareEntries('asc')).map((x) => x.userId)).toEqual(['e', 'c', 'a', 'b', 'd']);
  });

  it('compares userIds by code point (uppercase before lowercase, shorter prefix first)', () => {
    const entries = [e('ab', 1, 1), e('a', 1, 1), e('B', 1, 1), e('_', 1, 1), e('0', 1, 1)];
    expect(entries.sort(compareEntries('desc')).map((x) => x.userId)).toEqual(['0', 'B', '_', 'a', 'ab']);
  });
});

const userId = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,12}$/);
const entry = fc.record({
  userId,
  score: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  reachedAt: fc.integer({ min: 946_684_800_001, max: 9_999_999_999_999 }),
});

describe('the Redis encoding', () => {
  it('round-trips members and rank scores', () => {
    fc.assert(
      fc.property(entry, fc.constantFrom('desc' as const, 'asc' as const), ({ userId, score, reachedAt }, order) => {
        expect(fromRedisMember(toRedisMember(reachedAt, userId))).toEqual({ reachedAt, userId, tieKey: '' });
        expect(fromRankScore(order, toRankScore(order, score))).toBe(score);
        expect(Object.is(toRankScore(order, 0), -0)).toBe(false);
      }),
    );
  });

  it('sorts like compareEntries when sorted as Redis does (rank score, then member bytes)', () => {
    const byRedis = (order: 'desc' | 'asc') => (a: RankedEntry, b: RankedEntry) => {
      const sa = toRankScore(order, a.score);
      const sb = toRankScore(order, b.score);
      if (sa !== sb) return sa - sb;
      return Buffer.compare(
        Buffer.from(toRedisMember(a.reachedAt, a.userId)),
        Buffer.from(toRedisMember(b.reachedAt, b.userId)),
      );
    };
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 30 }),
        fc.constantFrom('desc' as const, 'asc' as const),
        fc.integer({ min: 0, max: 3 }),
        (entries, order, tieScore) => {
          // Force ties on score and reachedAt in part of the sample.
          const sample = entries.map((x, i) =>
            i % 2 ? { ...x, score: tieScore, reachedAt: 946_684_800_001 + (i % 3) } : x,
          );
          const expected = [...sample].sort(compareEntries(order));
          const actual = [...sample].sort(byRedis(order));
          expect(actual).toEqual(expected);
        },
      ),
    );
  });
});

describe('percentile', () => {
  it('is 100 for rank 1 and 100/N for the last, with two decimals', () => {
    expect(percentile(1, 1)).toBe(100);
    expect(percentile(1, 3)).toBe(100);
    expect(percentile(3, 3)).toBe(33.33);
    expect(percentile(2, 3)).toBe(66.67);
    expect(percentile(1000, 1000)).toBe(0.1);
  });
});

describe('tie-break columns in the sort key', () => {
  const orders = ['asc', 'desc'] as const;

  it('round-trips values through the tie key, and keeps the member parseable', () => {
    for (const values of [
      [0, 0],
      [-5, 7],
      [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
    ]) {
      const key = toTieKey(orders, values);
      expect(key).toHaveLength(34);
      expect(fromTieKey(orders, key)).toEqual(values);
      const member = toRedisMember(1_763_000_000_000, 'user:with:colons', key);
      expect(fromRedisMember(member)).toEqual({
        reachedAt: 1_763_000_000_000,
        userId: 'user:with:colons',
        tieKey: key,
      });
    }
    expect(toTieKey([], [1, 2])).toBe('');
    // a member written before the board's columns (no key) reads as zeros, as toTieKey writes missing values
    expect(fromTieKey(orders, '')).toEqual([0, 0]);
    expect(toRedisMember(5, 'u')).toBe('0000000000005:u');
  });

  it('sorts members by bytes exactly as compareEntries orders the entries', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            userId: fc.constantFrom('a', 'b', 'c:d'),
            score: fc.constant(7),
            reachedAt: fc.integer({ min: 1, max: 3 }),
            tiebreaks: fc.tuple(
              fc.integer({ min: -3, max: 3 }),
              fc.oneof(
                fc.integer({ min: -3, max: 3 }),
                fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
              ),
            ),
          }),
          { minLength: 2, maxLength: 8 },
        ),
        (entries) => {
          const byOrder = [...entries].sort(compareEntries('desc', orders));
          const member = (e: (typeof entries)[number]) =>
            toRedisMember(e.reachedAt, e.userId, toTieKey(orders, e.tiebreaks));
          const byBytes = [...entries].sort((x, y) => compareIds(member(x), member(y)) || 0);
          expect(byBytes.map(member)).toEqual(byOrder.map(member));
        },
      ),
    );
  });
});
