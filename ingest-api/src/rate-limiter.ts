import { type BucketState, takeTokens } from './domain/token-bucket.js';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimiter {
  /** Takes `cost` events from the key's bucket, or nothing. */
  take(key: string, cost: number): RateDecision;
}

/**
 * One token bucket per API key, in this instance's memory: with N instances behind a balancer a key
 * may send up to N times the rate (documented). Keys are the configured ones, so the map is bounded.
 */
export function createRateLimiter(options: { ratePerS: number; now: () => number }): RateLimiter {
  const limits = { ratePerS: options.ratePerS, capacity: options.ratePerS * 2 };
  const buckets = new Map<string, BucketState>();
  return {
    take(key, cost) {
      const outcome = takeTokens(buckets.get(key), cost, options.now(), limits);
      buckets.set(key, outcome.state);
      return outcome.allowed ? { allowed: true } : { allowed: false, retryAfterMs: outcome.retryAfterMs };
    },
  };
}
