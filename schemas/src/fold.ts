import { MAX_ABS_VALUE, type ScoreOp } from './events/limits.js';

/** A user's standing on one (board, period key). */
export interface Total {
  score: number;
  /** occurredAt of the event that last changed the score (or created the total). */
  reachedAt: number;
  /** Events applied to this total, changed or not. */
  eventCount: number;
}

export interface FoldableEvent {
  op: ScoreOp;
  value: number;
  occurredAt: number;
}

export type FoldResult = { ok: true; total: Total; changed: boolean } | { ok: false; reason: 'overflow' };

function nextScore(current: number, op: ScoreOp, value: number): number {
  switch (op) {
    case 'add':
      return current + value;
    case 'set':
      return value;
    case 'max':
      return Math.max(current, value);
    case 'min':
      return Math.min(current, value);
  }
}

/**
 * Applies one event to a total. The first event creates the total (an `add` counts from 0, every
 * other op takes the value) and sets reachedAt even for a score of 0; afterwards reachedAt moves only
 * when the score changes. A result outside ±(2^53−1) is refused as a whole.
 */
export function applyEvent(total: Total | undefined, event: FoldableEvent): FoldResult {
  if (total === undefined) {
    if (Math.abs(event.value) > MAX_ABS_VALUE) return { ok: false, reason: 'overflow' };
    return { ok: true, changed: true, total: { score: event.value, reachedAt: event.occurredAt, eventCount: 1 } };
  }
  const score = nextScore(total.score, event.op, event.value);
  if (!Number.isSafeInteger(score)) return { ok: false, reason: 'overflow' };
  const changed = score !== total.score;
  return {
    ok: true,
    changed,
    total: {
      score,
      reachedAt: changed ? event.occurredAt : total.reachedAt,
      eventCount: total.eventCount + 1,
    },
  };
}
