import {
  isTimeZone,
  PERIODS,
  type Period,
  RANK_ORDERS,
  type RankOrder,
  SCORE_OPS,
  type ScoreOp,
  WEEKDAYS,
  type Weekday,
} from '@rankstream/schemas';
import type { BoardDef } from './read-model.js';

/**
 * A board's definition from a store's raw fields (the PostgreSQL row or the projector's Redis
 * mirror): both readers go through this one function so that they answer with equal definitions.
 * Fields from before a setting existed take its default.
 */
export function boardDefOf(
  board: string,
  raw: { order?: unknown; periods?: unknown; timeZone?: unknown; weekStartsOn?: unknown; tiebreaks?: unknown },
): BoardDef {
  const order = RANK_ORDERS.includes(raw.order as RankOrder) ? (raw.order as RankOrder) : 'desc';
  const periods = Array.isArray(raw.periods) ? (raw.periods.filter((p) => PERIODS.includes(p)) as Period[]) : [];
  const timeZone = typeof raw.timeZone === 'string' && isTimeZone(raw.timeZone) ? raw.timeZone : 'UTC';
  const weekStartsOn = WEEKDAYS.includes(raw.weekStartsOn as Weekday) ? (raw.weekStartsOn as Weekday) : 'monday';
  const columns = Array.isArray(raw.tiebreaks) ? (raw.tiebreaks as { order?: unknown; op?: unknown }[]) : [];
  const tiebreaks = columns.map((c) => ({
    order: (c?.order === 'asc' ? 'asc' : 'desc') as RankOrder,
    op: (SCORE_OPS.includes(c?.op as ScoreOp) ? c?.op : 'set') as ScoreOp,
  }));
  return { board, order, tiebreaks, periods, timeZone, weekStartsOn };
}

/** The orders of a board's tie-break columns: what its tie keys are made with (ranking.ts toTieKey). */
export function tieOrdersOf(def: BoardDef): RankOrder[] {
  return def.tiebreaks.map((c) => c.order);
}
