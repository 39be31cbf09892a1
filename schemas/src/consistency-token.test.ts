import { describe, expect, it } from 'vitest';
import { decodeConsistencyToken, encodeConsistencyToken, mergeConsistencyRequirements } from './consistency-token.js';

describe('consistency tokens', () => {
  it('round-trip a requirement', () => {
    const req = { topic: 'score-events', offsets: { 0: 12, 5: 3 } };
    expect(decodeConsistencyToken(encodeConsistencyToken(req))).toEqual(req);
  });

  it('refuse anything that is not a token we made', () => {
    for (const bad of ['', 'v1.', 'v2.e30', 'v1.!!!', `v1.${Buffer.from('{"t":1,"o":{}}').toString('base64url')}`]) {
      expect(decodeConsistencyToken(bad)).toBeUndefined();
    }
    const negative = `v1.${Buffer.from(JSON.stringify({ t: 'x', o: { 0: -1 } })).toString('base64url')}`;
    expect(decodeConsistencyToken(negative)).toBeUndefined();
  });

  it('merge to the highest offset per partition and topic', () => {
    expect(
      mergeConsistencyRequirements([
        { topic: 'a', offsets: { 0: 5, 1: 2 } },
        { topic: 'a', offsets: { 0: 3, 2: 9 } },
        { topic: 'b', offsets: { 0: 1 } },
      ]),
    ).toEqual([
      { topic: 'a', offsets: { 0: 5, 1: 2, 2: 9 } },
      { topic: 'b', offsets: { 0: 1 } },
    ]);
  });
});
