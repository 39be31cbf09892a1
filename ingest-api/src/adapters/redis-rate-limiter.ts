import type { Redis } from '@rankstream/schemas/runtime';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateDecision, RateLimiter } from '../rate-limiter.js';

/**
 * A key's events counted in Redis by every instance (rate-limiter-flexible), so a key's rate holds
 * for the whole fleet: twice `ratePerS` per two-second window, the in-process bucket's sustained rate
 * and burst in fixed windows. A refused batch still counts in its window. While Redis is not ready,
 * `fallback` (the per-instance bucket) decides, so a Redis outage never refuses an event by itself.
 */
export function createRedisRateLimiter(options: {
  redis: Redis;
  keyPrefix: string;
  ratePerS: number;
  fallback: RateLimiter;
}): RateLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points: options.ratePerS * 2,
    duration: 2,
    // A Redis that is reconnecting fails at once instead of holding the request.
    rejectIfRedisNotReady: true,
  });
  return {
    async take(key, cost): Promise<RateDecision> {
      try {
        await limiter.consume(key, cost);
        return { allowed: true };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext };
        return options.fallback.take(key, cost);
      }
    },
  };
}
