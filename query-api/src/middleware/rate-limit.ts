import { HttpError } from '@rankstream/schemas';
import type { Redis } from '@rankstream/schemas/runtime';
import type { Context, MiddlewareHandler } from 'hono';
import {
  type RateLimiterAbstract,
  RateLimiterCluster,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

/**
 * The limiter for `perSecond` requests per client address per second (null: no limit). In a cluster
 * worker the counts live in the primary process (rate-limiter-flexible's cluster limiter over IPC),
 * so the limit holds for the whole service, whichever worker a connection lands on. Given `shared`,
 * every instance counts in Redis, and that per-instance limiter stands in while Redis is not ready
 * (rate-limiter-flexible's insurance limiter): a client may then get its rate from each instance.
 */
export function createRateLimiter(
  perSecond: number,
  inClusterWorker: boolean,
  shared?: { redis: Redis; keyPrefix: string },
): RateLimiterAbstract | null {
  if (perSecond === 0) return null;
  const options = { keyPrefix: 'query-api', points: perSecond, duration: 1 };
  const local = inClusterWorker
    ? new RateLimiterCluster({ ...options, timeoutMs: 1_000 })
    : new RateLimiterMemory(options);
  if (!shared) return local;
  return new RateLimiterRedis({
    ...options,
    storeClient: shared.redis,
    keyPrefix: shared.keyPrefix,
    // A Redis that is reconnecting fails at once, so the request is counted by the insurance limiter.
    rejectIfRedisNotReady: true,
    insuranceLimiter: local,
  });
}

/** At most the limiter's points per client address per second. */
export function rateLimit(
  limiter: RateLimiterAbstract | null,
  perSecond: number,
  clientAddress: (c: Context) => string,
): MiddlewareHandler {
  if (limiter === null) return async (_c, next) => next();
  return async (c, next) => {
    try {
      await limiter.consume(clientAddress(c));
    } catch (rejection) {
      // Not a verdict but a failure of the limiter itself (in cluster mode, the primary not answering
      // over IPC in time): serve the request rather than fail reads because of the limiter.
      if (!(rejection instanceof RateLimiterRes)) return next();
      const retryAfter = String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw new HttpError(429, 'rate_limited', `more than ${perSecond} requests per second from this address`, [], {
        'Retry-After': retryAfter,
      });
    }
    await next();
  };
}
