import {
  type ErrorDetail,
  MAX_METADATA_BYTES,
  MIN_OCCURRED_AT,
  type PlayerLimits,
  regionCodeOf,
  type ScoreEvent,
  stampedCalendar,
} from '@rankstream/schemas';
import { type BoardSettings, type RequestOp, resolveOp, stampTiebreaks } from './board-definition.js';

/** One score event as the HTTP API takes it (already shape-checked by the request schema). */
export interface ScoreItem {
  eventId?: string | undefined;
  userId: string;
  board?: string | undefined;
  op?: RequestOp | undefined;
  value: number;
  /** RFC 3339 text or epoch milliseconds. */
  occurredAt?: string | number | undefined;
  source?: string | undefined;
  metadata?: unknown;
  tiebreaks?: number[] | undefined;
  region?: string | undefined;
}

/** A score event before its board's definition is known: op and periods are stamped later. */
export interface ScoreDraft {
  eventId: string;
  userId: string;
  board: string;
  op: RequestOp | undefined;
  value: number;
  occurredAt: number;
  source: string | null;
  metadata: string | null;
  tiebreaks: number[];
  /** The player's region from this event on (a region code), or null: the one they have. */
  region: string | null;
}

export interface DraftContext {
  /** Receipt time, ms. */
  now: number;
  maxClockSkewMs: number;
  newEventId: () => string;
  /** Path prefix of item i in error details: ['events', i] for a batch, [] for a single event. */
  pathOf: (index: number) => (string | number)[];
}

export type DraftOutcome = { ok: true; drafts: ScoreDraft[] } | { ok: false; details: ErrorDetail[] };

/**
 * Fills the defaults that need no I/O (eventId, board, occurredAt), and checks what the shape schema
 * cannot: the clock window, the metadata size and eventIds repeated within the request. Every problem
 * is reported, each with its item's path.
 */
export function draftScoreEvents(items: readonly ScoreItem[], ctx: DraftContext): DraftOutcome {
  const details: ErrorDetail[] = [];
  const firstIndexOf = new Map<string, number>();
  const drafts = items.map((item, i): ScoreDraft => {
    const at = (field: string) => [...ctx.pathOf(i), field].join('.');
    if (item.eventId !== undefined) {
      const first = firstIndexOf.get(item.eventId);
      if (first === undefined) firstIndexOf.set(item.eventId, i);
      else
        details.push({
          path: at('eventId'),
          message: `repeats the eventId of ${[...ctx.pathOf(first), 'eventId'].join('.')}`,
        });
    }
    const occurredAt = item.occurredAt === undefined ? ctx.now : toEpochMs(item.occurredAt);
    if (!(occurredAt > MIN_OCCURRED_AT)) {
      details.push({ path: at('occurredAt'), message: 'must be after 2000-01-01T00:00:00Z' });
    } else if (occurredAt > ctx.now + ctx.maxClockSkewMs) {
      details.push({ path: at('occurredAt'), message: `must be at most ${ctx.maxClockSkewMs} ms in the future` });
    }
    let metadata: string | null = null;
    if (item.metadata !== undefined && item.metadata !== null) {
      metadata = JSON.stringify(item.metadata);
      if (Buffer.byteLength(metadata, 'utf8') > MAX_METADATA_BYTES) {
        details.push({ path: at('metadata'), message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` });
      }
    }
    return {
      eventId: item.eventId ?? ctx.newEventId(),
      userId: item.userId,
      board: item.board ?? 'global',
      op: item.op,
      value: item.value,
      occurredAt,
      source: item.source ?? null,
      metadata,
      tiebreaks: item.tiebreaks ?? [],
      region: regionCodeOf(item.region),
    };
  });
  return details.length ? { ok: false, details } : { ok: true, drafts };
}

/** RFC 3339 text (checked for shape by the request schema) or epoch ms, to epoch ms. */
export function toEpochMs(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** Events are self-describing: op, periods, calendar and limits come from the board as defined right now. */
export function stampScoreEvent(draft: ScoreDraft, board: BoardSettings): ScoreEvent {
  return {
    eventId: draft.eventId,
    userId: draft.userId,
    board: draft.board,
    op: resolveOp(draft.op, board),
    value: draft.value,
    occurredAt: draft.occurredAt,
    periods: [...board.periods],
    source: draft.source,
    metadata: draft.metadata,
    limits: stampedLimits(board),
    calendar: stampedCalendar(board),
    tiebreaks: stampTiebreaks(board.tiebreaks, draft.tiebreaks),
    region: draft.region,
  };
}

/** The board's per-player limits as events carry them: null when it has none. */
export function stampedLimits(board: BoardSettings): PlayerLimits | null {
  if (board.maxEventsPerMinute === null && board.maxDelta === null) return null;
  return { maxEventsPerMinute: board.maxEventsPerMinute, maxDelta: board.maxDelta };
}
