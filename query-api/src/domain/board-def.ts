import {
  isTimeZone,
  PERIODS,
  type Period,
  RANK_ORDERS,
  type RankOrder,
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
  raw: { order?: unknown; periods?: unknown; timeZone?: unknown; weekStartsOn?: unknown },
): BoardDef {
  const order = RANK_ORDERS.includes(raw.order as RankOrder) ? (raw.order as RankOrder) : 'desc';
  const periods = Array.isArray(raw.periods) ? (raw.periods.filter((p) => PERIODS.includes(p)) as Period[]) : [];
  const timeZone = typeof raw.timeZone === 'string' && isTimeZone(raw.timeZone) ? raw.timeZone : 'UTC';
  const weekStartsOn = WEEKDAYS.includes(raw.weekStartsOn as Weekday) ? (raw.weekStartsOn as Weekday) : 'monday';
  return { board, order, periods, timeZone, weekStartsOn };
}
