import { describe, expect, it } from 'vitest';
import { type FoldedTotal, totalKey } from './domain/batch-fold.js';
import { createTotalsCache } from './totals-cache.js';

function row(userId: string, score: number, version = 1): FoldedTotal {
  const key = totalKey(id(userId));
  return {
    ...id(userId),
    score,
    rankScore: -score,
    reachedAt: 1,
    eventCount: 1,
    version,
    baseVersion: -1,
    key,
    details: null,
    tieKey: '',
  };
}
const id = (userId: string) => ({ board: 'b', periodKey: 'all', userId });
/** What touchedTotals hands over: the ids by key. */
const ids = (...users: string[]) => new Map(users.map((u) => [totalKey(id(u)), id(u)]));

describe('totals cache', () => {
  it('knows the totals it committed while the checkpoint is the one it left', () => {
    const cache = createTotalsCache(100);
    expect(cache.lookup(0, 0, ids('u1'), false).missing).toEqual([id('u1')]);
    cache.committed(0, 0, 10, [row('u1', 5)]);
    const { known, missing } = cache.lookup(0, 10, ids('u1', 'u2'), false);
    expect([...known.values()].map((t) => t.score)).toEqual([5]);
    expect(missing).toEqual([id('u2')]);
  });

  it('forgets a partition whose checkpoint moved elsewhere (another instance, a replay)', () => {
    const cache = createTotalsCache(100);
    cache.committed(0, 0, 10, [row('u1', 5)]);
    expect(cache.lookup(0, 25, ids('u1'), false).missing).toEqual([id('u1')]);
    expect(cache.size).toBe(0);
    // A commit from the old tag after the reset does not resurrect stale entries as valid.
    cache.committed(0, 10, 20, [row('u1', 6)]);
    expect(cache.lookup(0, 25, ids('u1'), false).missing).toEqual([id('u1')]);
  });

  it('forgets the partitions a rebalance took away, and keeps the ones still owned', () => {
    const cache = createTotalsCache(100);
    cache.committed(0, 0, 10, [row('u1', 5)]);
    cache.committed(1, 0, 10, [row('u2', 7), row('u3', 1)]);
    cache.retainOnly([1, 2]);
    expect(cache.size).toBe(2);
    expect(cache.lookup(0, 10, ids('u1'), false).missing).toEqual([id('u1')]);
    expect([...cache.lookup(1, 10, ids('u2'), false).known.values()].map((t) => t.score)).toEqual([7]);
  });

  it('forgets one partition on demand (a conflict showed an entry stale) and keeps the others', () => {
    const cache = createTotalsCache(100);
    cache.committed(0, 0, 10, [row('u1', 5)]);
    cache.committed(1, 0, 10, [row('u2', 7)]);
    cache.forget(0);
    expect(cache.size).toBe(1);
    expect(cache.lookup(0, 10, ids('u1'), false).missing).toEqual([id('u1')]);
    expect(cache.lookup(1, 10, ids('u2'), false).missing).toEqual([]);
  });

  it('keeps a rolled-back batch out: nothing changes until committed', () => {
    const cache = createTotalsCache(100);
    cache.committed(0, 0, 10, [row('u1', 5)]);
    cache.lookup(0, 10, ids('u1'), false); // a batch that then fails
    expect([...cache.lookup(0, 10, ids('u1'), false).known.values()].map((t) => t.score)).toEqual([5]);
  });

  it('keeps partitions apart', () => {
    const cache = createTotalsCache(100);
    cache.committed(0, 0, 10, [row('u1', 5)]);
    cache.committed(1, 0, 3, [row('u2', 7)]);
    expect(cache.lookup(1, 3, ids('u1'), false).missing).toEqual([id('u1')]);
    expect(cache.lookup(0, 10, ids('u1'), false).missing).toEqual([]);
  });

  it('evicts the least recently written entries beyond its bound', () => {
    const cache = createTotalsCache(2);
    cache.committed(0, 0, 1, [row('u1', 1), row('u2', 2)]);
    cache.committed(0, 1, 2, [row('u1', 3), row('u3', 4)]);
    expect(cache.size).toBe(2);
    const { known, missing } = cache.lookup(0, 2, ids('u1', 'u2', 'u3'), false);
    expect(missing).toEqual([id('u2')]);
    expect([...known.values()].map((t) => t.score)).toEqual([3, 4]);
  });

  it('holds nothing when disabled', () => {
    const cache = createTotalsCache(0);
    cache.committed(0, 0, 1, [row('u1', 1)]);
    expect(cache.lookup(0, 1, ids('u1'), false).missing).toEqual([id('u1')]);
  });

  describe('for a partition that started with nothing committed', () => {
    it('loads nothing for users it never wrote, and loads evicted totals of users it did', () => {
      const cache = createTotalsCache(1);
      expect(cache.lookup(0, 0, ids('u1', 'u2'), true)).toEqual({ known: new Map(), missing: [] });
      cache.committed(0, 0, 5, [row('u1', 1), row('u2', 2)]);
      // u1 was evicted (bound 1): it exists, so it is loaded; u3 was never written.
      const { known, missing } = cache.lookup(0, 5, ids('u1', 'u2', 'u3'), false);
      expect(missing).toEqual([id('u1')]);
      expect([...known.values()].map((t) => t.score)).toEqual([2]);
    });

    it('loads every miss once a total it took for new turned out to exist', () => {
      const cache = createTotalsCache(10);
      expect(cache.lookup(0, 0, ids('u1'), true).missing).toEqual([]);
      cache.forget(0); // the write's compare-and-set refused the batch
      expect(cache.lookup(0, 0, ids('u1'), true).missing).toEqual([id('u1')]);
    });

    it('loads every miss when the partition had committed batches, or the checkpoint moved elsewhere', () => {
      const cache = createTotalsCache(10);
      expect(cache.lookup(0, 7, ids('u1'), false).missing).toEqual([id('u1')]);
      cache.lookup(1, 0, ids('u2'), true);
      cache.committed(1, 0, 4, [row('u2', 1)]);
      expect(cache.lookup(1, 9, ids('u3'), false).missing).toEqual([id('u3')]);
    });

    it('loads every miss when the cache is off', () => {
      const cache = createTotalsCache(0);
      expect(cache.lookup(0, 0, ids('u1'), true).missing).toEqual([id('u1')]);
    });
  });
});
