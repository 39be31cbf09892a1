import { HttpError } from '@rankstream/schemas';
import type { Context, MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** At most `perSecond` requests per client address per second; 0 turns the limit off. */
export function rateLimit(perSecond: number, clientAddress: (c: Context) => string): MiddlewareHandler {
  if (perSecond === 0) return async (_c, next) => next();
  const limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
  return async (c, next) => {
    try {
      await limiter.consume(clientAddress(c));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw new HttpError(429, 'rate_limited', `more than ${perSecond} requests per second from this address`, [], {
        'Retry-After': retryAfter,
      });
    }
    await next();
  };
}
