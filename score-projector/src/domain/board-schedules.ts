import {
  applyScheduleChange,
  type BoardSchedule,
  EMPTY_SCHEDULE,
  type ScheduleChange,
  type ScoreEvent,
  scheduleChangeOf,
  scheduledKeys,
  UTC_CALENDAR,
} from '@rankstream/schemas';
import type { PeriodKeysOf } from './batch-fold.js';
import type { Candidate } from './batch-plan.js';

/** One board event a partition folded, as partition_board_changes keeps it. */
export interface BoardChangeRow {
  offset: number;
  board: string;
  change: ScheduleChange;
  occurredAt: number;
}

/** A score event on a board with seasons whose occurredAt is in none of them. */
export interface SeasonRefusal {
  candidate: Candidate;
  reason: 'no_season';
  message: string;
  path: 'occurredAt';
}

export interface ScheduledBatch {
  /** The batch without the refused events, in offset order. */
  events: Candidate[];
  refused: SeasonRefusal[];
  /** The instance keys of each score event kept, at its position in the partition's log. */
  keysOf: PeriodKeysOf;
  /** The board events folded, for partition_board_changes. */
  changes: BoardChangeRow[];
  /** The partition's schedules after the batch (the input map when none changed). */
  schedules: ReadonlyMap<string, BoardSchedule>;
}

/**
 * Walks a batch in log order with the partition's board schedules: a board event changes its
 * board's schedule from its position on, and each score event gets its instances (calendar keys
 * split by resets, and its season's) as the schedule stands at its position. Every partition gets
 * a copy of each board event, so each meets it at one place in its own log, and a replay decides
 * every event the same way. Boards without a schedule (nearly all) pay one map lookup.
 */
export function scheduleBatch(
  events: readonly Candidate[],
  before: ReadonlyMap<string, BoardSchedule>,
  calendarKeysOf: PeriodKeysOf,
): ScheduledBatch {
  let schedules = before;
  const changes: BoardChangeRow[] = [];
  const refused: SeasonRefusal[] = [];
  const kept: Candidate[] = [];
  const scheduled = new Map<ScoreEvent, string[]>();
  for (const candidate of events) {
    const { decoded } = candidate;
    if (decoded.kind === 'board') {
      const change = scheduleChangeOf(decoded.event);
      const board = decoded.event.board;
      // Copied on the first change: the caller's map describes the partition before the batch.
      if (schedules === before) schedules = new Map(before);
      const next = applyScheduleChange(schedules.get(board) ?? EMPTY_SCHEDULE, change).schedule;
      (schedules as Map<string, BoardSchedule>).set(board, next);
      changes.push({ offset: candidate.offset, board, change, occurredAt: decoded.event.occurredAt });
      kept.push(candidate);
      continue;
    }
    if (decoded.kind === 'score') {
      const event = decoded.event;
      const schedule = schedules.get(event.board);
      if (schedule !== undefined) {
        const keys = scheduledKeys(calendarKeysOf(event), event.occurredAt, schedule, event.calendar ?? UTC_CALENDAR);
        if (keys === undefined) {
          const at = new Date(event.occurredAt).toISOString();
          const message = `board ${event.board} has seasons, and none holds ${at}`;
          refused.push({ candidate, reason: 'no_season', message, path: 'occurredAt' });
          continue;
        }
        scheduled.set(event, keys);
      }
    }
    kept.push(candidate);
  }
  const keysOf: PeriodKeysOf =
    scheduled.size === 0 ? calendarKeysOf : (event) => scheduled.get(event as ScoreEvent) ?? calendarKeysOf(event);
  return { events: kept, refused, keysOf, changes, schedules };
}
