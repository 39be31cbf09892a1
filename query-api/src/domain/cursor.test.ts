import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('top cursors', () => {
  it('round-trips the period key and the position, negative and extreme scores included', () => {
    for (const rankScore of [0, -5, 9_007_199_254_740_991, -9_007_199_254_740_991]) {
      const cursor = {
        periodKey: 'daily:2026-11-23',
        after: { rankScore, reachedAt: 1_763_000_000_000, userId: 'a.b@c' },
      };
      expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    }
    // on a board with tie-break columns the position carries their sort key
    const tied = { periodKey: 'all', after: { rankScore: 3, tieKey: '09007199254740993', reachedAt: 1, userId: 'u' } };
    expect(decodeCursor(encodeCursor(tied))).toEqual(tied);
  });

  it('refuses text that is not one of its cursors', () => {
    const forged = (o: unknown) => `c1.${Buffer.from(JSON.stringify(o)).toString('base64url')}`;
    expect(decodeCursor('')).toBeUndefined();
    expect(decodeCursor('c1.%%%')).toBeUndefined();
    expect(decodeCursor('v1.eyJ9')).toBeUndefined();
    expect(decodeCursor(forged({ k: 'all', s: 1.5, r: 1, u: 'a' }))).toBeUndefined();
    expect(decodeCursor(forged({ k: 'all', s: 1, r: -1, u: 'a' }))).toBeUndefined();
    expect(decodeCursor(forged({ k: 'all', s: 1, r: 1, u: 'has space' }))).toBeUndefined();
    expect(decodeCursor(forged({ s: 1, r: 1, u: 'a' }))).toBeUndefined();
    expect(decodeCursor(forged({ k: 'all', s: 1, r: 1, u: 'a', t: "1' OR 1=1" }))).toBeUndefined();
  });
});
