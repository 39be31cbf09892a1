import { MAX_ABS_VALUE, type ScoreOp } from './events/limits.js';

/** A user's standing on one (board, period key). */
export interface Total {
  score: number;
  /** occurredAt of the event that last changed the score or a tie-break value (or created the total). */
  reachedAt: number;
  /** Events applied to this total, changed or not. */
  eventCount: number;
  /** The board's tie-break columns, each folded with its own op; absent on boards without them. */
  tiebreaks?: number[];
}

/** One tie-break column's value in an event, with the op its column folds by (stamped at ingest). */
export interface TiebreakValue {
  value: number;
  op: ScoreOp;
}

export interface FoldableEvent {
  op: ScoreOp;
  value: number;
  occurredAt: number;
  tiebreaks?: readonly TiebreakValue[];
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
 * when the standing changes: the score or a tie-break value. Tie-break columns fold the same way, each
 * by its own op; a column the event does not name keeps its value (a new total's starts at 0). A
 * result outside ±(2^53−1) is refused as a whole.
 */
export function applyEvent(total: Total | undefined, event: FoldableEvent): FoldResult {
  const columns = event.tiebreaks ?? [];
  if (total === undefined) {
    if (Math.abs(event.value) > MAX_ABS_VALUE) return { ok: false, reason: 'overflow' };
    if (columns.some((c) => Math.abs(c.value) > MAX_ABS_VALUE)) return { ok: false, reason: 'overflow' };
    const created: Total = { score: event.value, reachedAt: event.occurredAt, eventCount: 1 };
    if (columns.length > 0) created.tiebreaks = columns.map((c) => c.value);
    return { ok: true, changed: true, total: created };
  }
  const score = nextScore(total.score, event.op, event.value);
  if (!Number.isSafeInteger(score)) return { ok: false, reason: 'overflow' };
  let changed = score !== total.score;
  let tiebreaks = total.tiebreaks;
  if (columns.length > 0) {
    const before = total.tiebreaks ?? [];
    const after = [...before];
    for (const [i, c] of columns.entries()) {
      const next = nextScore(before[i] ?? 0, c.op, c.value);
      if (!Number.isSafeInteger(next)) return { ok: false, reason: 'overflow' };
      after[i] = next;
    }
    if (after.some((v, i) => v !== (before[i] ?? 0))) changed = true;
    tiebreaks = after;
  }
  const next: Total = {
    score,
    reachedAt: changed ? event.occurredAt : total.reachedAt,
    eventCount: total.eventCount + 1,
  };
  if (tiebreaks !== undefined) next.tiebreaks = tiebreaks;
  return { ok: true, changed, total: next };
}
