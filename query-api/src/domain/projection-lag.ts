import type { ConsistencyRequirement } from '@rankstream/schemas';
import type { StoreState } from './read-model.js';

/**
 * X-Projection-Lag-Ms: per partition 0 when the store has reached the log end the projector last
 * saw, else the time since it was last caught up; the answer is the worst partition.
 */
export function projectionLagMs(state: StoreState, nowMs: number): number {
  let lag = 0;
  for (const [p, progress] of Object.entries(state.progress)) {
    const next = state.watermark[Number(p)] ?? 0;
    if (next >= progress.logEnd) continue;
    lag = Math.max(lag, nowMs - progress.caughtUpAt);
  }
  return Math.max(0, Math.round(lag));
}

/** Whether the store's watermark has reached every offset the consistency tokens ask for. */
export function coversRequirements(
  watermark: Record<number, number>,
  requirements: readonly ConsistencyRequirement[],
): boolean {
  return requirements.every((r) => Object.entries(r.offsets).every(([p, off]) => (watermark[Number(p)] ?? 0) >= off));
}

export interface OffsetSample {
  at: number;
  offsets: Record<number, number>;
}

/**
 * How long Redis has been missing effects PostgreSQL already holds: the age of the oldest sample of
 * PostgreSQL's watermark that is ahead of Redis's on some partition (0 when Redis has them all).
 * Samples are in time order.
 */
export function redisBehindMs(
  pgSamples: readonly OffsetSample[],
  redisWatermark: Record<number, number>,
  nowMs: number,
): number {
  const first = pgSamples.find((s) => isAheadOf(s.offsets, redisWatermark));
  return first ? Math.max(0, nowMs - first.at) : 0;
}

export function isAheadOf(offsets: Record<number, number>, watermark: Record<number, number>): boolean {
  return Object.entries(offsets).some(([p, off]) => off > (watermark[Number(p)] ?? 0));
}
