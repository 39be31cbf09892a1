/**
 * A token bucket: `capacity` tokens at most, refilled at `ratePerS`. A request costing n takes n tokens
 * or nothing; when refused, `retryAfterMs` says when n tokens will be there.
 */
export interface BucketState {
  tokens: number;
  at: number;
}

export type TakeOutcome =
  | { allowed: true; state: BucketState }
  | { allowed: false; state: BucketState; retryAfterMs: number };

export function takeTokens(
  state: BucketState | undefined,
  cost: number,
  now: number,
  limits: { ratePerS: number; capacity: number },
): TakeOutcome {
  const elapsed = state ? Math.max(0, now - state.at) : 0;
  const tokens = state ? Math.min(limits.capacity, state.tokens + (elapsed * limits.ratePerS) / 1000) : limits.capacity;
  if (tokens >= cost) return { allowed: true, state: { tokens: tokens - cost, at: now } };
  const missing = Math.min(cost, limits.capacity) - tokens;
  return { allowed: false, state: { tokens, at: now }, retryAfterMs: Math.ceil((missing * 1000) / limits.ratePerS) };
}
