import { describe, expect, it } from 'vitest';
import { takeTokens } from './token-bucket.js';

const limits = { ratePerS: 100, capacity: 200 };

describe('takeTokens', () => {
  it('starts full, takes all or nothing, and refills at the rate up to the capacity', () => {
    const first = takeTokens(undefined, 150, 0, limits);
    expect(first).toEqual({ allowed: true, state: { tokens: 50, at: 0 } });
    const refused = takeTokens(first.state, 100, 0, limits);
    expect(refused).toEqual({ allowed: false, state: { tokens: 50, at: 0 }, retryAfterMs: 500 });
    expect(takeTokens(refused.state, 100, 500, limits)).toEqual({ allowed: true, state: { tokens: 0, at: 500 } });
    expect(takeTokens({ tokens: 0, at: 0 }, 1, 60_000, limits).state.tokens).toBe(199);
  });

  it('never lets a clock going backwards mint tokens', () => {
    expect(takeTokens({ tokens: 10, at: 1_000 }, 11, 0, limits).allowed).toBe(false);
  });
});
