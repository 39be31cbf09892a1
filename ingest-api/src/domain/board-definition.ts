import { type BoardSchedule, type Period, type PeriodCalendar, type ScoreOp, seasonAt } from '@rankstream/schemas';

export type SortOrder = 'desc' | 'asc';
/** `best` is resolved at ingest: max on a desc board, min on an asc one. */
export type DefaultOp = 'add' | 'set' | 'best';
export type RequestOp = ScoreOp | 'best';

/** A tie-break column: ranks players of equal score, in its own order, folded by its own op. */
export interface TiebreakColumn {
  order: SortOrder;
  op: ScoreOp;
}

export interface BoardSettings extends PeriodCalendar {
  order: SortOrder;
  /** Up to 4, compared in this order after the score; fixed at creation, as the order is. */
  tiebreaks: TiebreakColumn[];
  defaultOp: DefaultOp;
  periods: Period[];
  /** Per-player limits against scripted abuse; null: none. */
  maxEventsPerMinute: number | null;
  maxDelta: number | null;
  /** Whether the board has ever kept periods: its calendar is fixed from then on. */
  calendarFixed: boolean;
}

export interface BoardDefinition extends BoardSettings {
  board: string;
  /** Its seasons and resets (board-schedule.ts), as the changes this API accepted made them. */
  schedule: BoardSchedule;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export const BOARD_DEFAULTS: BoardSettings = {
  order: 'desc',
  tiebreaks: [],
  defaultOp: 'add',
  periods: [],
  maxEventsPerMinute: null,
  maxDelta: null,
  timeZone: 'UTC',
  weekStartsOn: 'monday',
  calendarFixed: false,
};

export type BoardPatch = Partial<Omit<BoardSettings, 'calendarFixed'>>;

/** The settings that stop changing at some point, and so may make a patch fail. */
export type FixedSetting = 'order' | 'tiebreaks' | 'timeZone' | 'weekStartsOn';

export type PatchOutcome = { ok: true; settings: BoardSettings } | { ok: false; field: FixedSetting };

/**
 * Omitted fields keep their current value (or the default for a new board). The order never changes
 * once a board exists: stored sort keys (rank_score) were computed with it. The calendar never
 * changes once the board has kept periods, even if it keeps none now: their instances were named by
 * it, and a request for "the daily of 2026-12-06" must name one window of time.
 */
export function applyBoardPatch(current: BoardSettings | undefined, patch: BoardPatch): PatchOutcome {
  const base = current ?? BOARD_DEFAULTS;
  if (current && patch.order !== undefined && patch.order !== current.order) return { ok: false, field: 'order' };
  if (current && patch.tiebreaks !== undefined && !sameColumns(patch.tiebreaks, current.tiebreaks))
    return { ok: false, field: 'tiebreaks' };
  if (current?.calendarFixed) {
    if (patch.timeZone !== undefined && patch.timeZone !== current.timeZone) return { ok: false, field: 'timeZone' };
    if (patch.weekStartsOn !== undefined && patch.weekStartsOn !== current.weekStartsOn)
      return { ok: false, field: 'weekStartsOn' };
  }
  const periods = sortPeriods(patch.periods ?? base.periods);
  return {
    ok: true,
    settings: {
      order: patch.order ?? base.order,
      tiebreaks: patch.tiebreaks ?? base.tiebreaks,
      defaultOp: patch.defaultOp ?? base.defaultOp,
      periods,
      // null in a patch lifts a limit; omitted keeps it.
      maxEventsPerMinute: patch.maxEventsPerMinute === undefined ? base.maxEventsPerMinute : patch.maxEventsPerMinute,
      maxDelta: patch.maxDelta === undefined ? base.maxDelta : patch.maxDelta,
      timeZone: patch.timeZone ?? base.timeZone,
      weekStartsOn: patch.weekStartsOn ?? base.weekStartsOn,
      calendarFixed: base.calendarFixed || periods.length > 0,
    },
  };
}

function sameColumns(a: readonly TiebreakColumn[], b: readonly TiebreakColumn[]): boolean {
  return a.length === b.length && a.every((c, i) => c.order === b[i]?.order && c.op === b[i]?.op);
}

/**
 * What an event carries for the board's columns: each value with its column's op. The API takes
 * events with a value for every column (tieBreakProblem), so that a min or max column never starts
 * from a value nobody gave.
 */
export function stampTiebreaks(columns: readonly TiebreakColumn[], values: readonly number[]) {
  return columns.map((c, i) => ({ value: values[i] ?? 0, op: c.op }));
}

/** Why an event's tie-break values do not fit its board, or undefined when they do. */
export function tieBreakProblem(board: string, columns: number, given: number): string | undefined {
  if (given === columns) return undefined;
  if (columns === 0) return `board ${board} has no tie-break columns`;
  return `board ${board} ranks ties by ${columns} column${columns === 1 ? '' : 's'}: give a value for each`;
}

/** Why an event at `occurredAt` cannot count on the board, or undefined when it can: one with seasons takes events in a season only. */
export function seasonProblem(board: string, schedule: BoardSchedule, occurredAt: number): string | undefined {
  if (schedule.seasons.length === 0 || seasonAt(schedule, occurredAt) !== undefined) return undefined;
  return `board ${board} has seasons, and none holds ${new Date(occurredAt).toISOString()}`;
}

const PERIOD_ORDER: Record<Period, number> = { daily: 0, weekly: 1, monthly: 2 };

/** A canonical order, so equal definitions compare and print equal. */
export function sortPeriods(periods: readonly Period[]): Period[] {
  return [...periods].sort((a, b) => PERIOD_ORDER[a] - PERIOD_ORDER[b]);
}

/** The op an event is stamped with: the request's, else the board's default, with `best` made concrete. */
export function resolveOp(
  requested: RequestOp | undefined,
  board: Pick<BoardSettings, 'order' | 'defaultOp'>,
): ScoreOp {
  const op = requested ?? board.defaultOp;
  if (op === 'best') return board.order === 'desc' ? 'max' : 'min';
  return op;
}
