import { HttpError } from '@rankstream/schemas';
import type { ApiKey } from '../auth/api-keys.js';
import type { AppDeps } from './deps.js';

/** Counts events, not requests, against the key's bucket; 429 with Retry-After in whole seconds. */
export async function takeRate(deps: AppDeps, key: ApiKey, events: number): Promise<void> {
  const decision = await deps.rateLimiter.take(key.name, events);
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new HttpError(429, 'rate_limited', `this key is over its event rate; retry in ${seconds} s`, [], {
      'Retry-After': String(seconds),
    });
  }
}
