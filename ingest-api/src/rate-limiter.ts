import type { Worker } from 'node:cluster';
import { type BucketState, takeTokens } from './domain/token-bucket.js';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimiter {
  /** Takes `cost` events from the key's bucket, or nothing. */
  take(key: string, cost: number): RateDecision | Promise<RateDecision>;
}

/**
 * One token bucket per API key, in this process's memory: with N instances behind a balancer a key
 * may send up to N times the rate (documented). Keys are the configured ones, so the map is bounded.
 */
export function createRateLimiter(options: { ratePerS: number; now: () => number }): {
  take(key: string, cost: number): RateDecision;
} {
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

const TAKE = 'rankstream:rate-take?';
const TAKEN = 'rankstream:rate-take';
/** A primary that does not answer within this lets the request through rather than fail it. */
const TAKE_TIMEOUT_MS = 1_000;

interface TakeRequest {
  type: typeof TAKE;
  id: number;
  key: string;
  cost: number;
}

/**
 * In the primary of INGEST_WORKERS > 1: the one set of buckets all workers take from, so a key's rate
 * is the service's whatever worker its connections land on. Handles the workers' take messages.
 */
export function answerWorkerTakes(limiter: ReturnType<typeof createRateLimiter>) {
  return (worker: Worker, message: unknown): void => {
    const m = message as Partial<TakeRequest> | null;
    if (m?.type !== TAKE || typeof m.key !== 'string' || typeof m.cost !== 'number') return;
    worker.send({ type: TAKEN, id: m.id, decision: limiter.take(m.key, m.cost) });
  };
}

/** In a worker of INGEST_WORKERS > 1: takes from the primary's buckets, one IPC round trip per request. */
export function createWorkerRateLimiter(): RateLimiter {
  const pending = new Map<number, (decision: RateDecision) => void>();
  let nextId = 0;
  process.on('message', (message: { type?: string; id?: number; decision?: RateDecision }) => {
    if (message?.type !== TAKEN || message.id === undefined || !message.decision) return;
    pending.get(message.id)?.(message.decision);
    pending.delete(message.id);
  });
  return {
    take(key, cost) {
      return new Promise<RateDecision>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ allowed: true });
        }, TAKE_TIMEOUT_MS);
        pending.set(id, (decision) => {
          clearTimeout(timer);
          resolve(decision);
        });
        process.send?.({ type: TAKE, id, key, cost } satisfies TakeRequest);
      });
    },
  };
}
