import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MAX_TIEBREAK_COLUMNS } from '../ranking.js';
import { REGION_CODE_PATTERN, regionCodeSchema } from '../regions.js';
import {
  BOARD_ID_PATTERN,
  boardIdSchema,
  eventIdSchema,
  hasNoRepeats,
  MAX_METADATA_BYTES,
  MAX_OCCURRED_AT,
  MIN_OCCURRED_AT,
  occurredAtSchema,
  PERIODS,
  type Period,
  periodsSchema,
  SCORE_OPS,
  scoreValueSchema,
  USER_ID_PATTERN,
  userIdSchema,
} from './limits.js';
import { periodCalendarFromRecord, periodCalendarSchema } from './period-calendar.js';
import { isSealed } from './sealed-text.js';

export const scoreEventAvsc: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../src/events/score-event.avsc', import.meta.url), 'utf8'),
);
export const SCORE_EVENT_NAME = 'dev.rankstream.events.ScoreEvent';

const fitsMetadataBytes = (s: string) => Buffer.byteLength(s, 'utf8') <= MAX_METADATA_BYTES;

function isJsonText(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Plain metadata: JSON text of at most MAX_METADATA_BYTES (what sealed metadata must open to). */
export function isMetadataJson(s: string): boolean {
  return fitsMetadataBytes(s) && isJsonText(s);
}

/** Metadata travels as JSON text (small, and it must parse), or sealed with the user's key (sealed-text.ts). */
export const metadataTextSchema = z
  .string()
  .refine((s) => isSealed(s) || fitsMetadataBytes(s), `must be at most ${MAX_METADATA_BYTES} bytes`)
  .refine((s) => isSealed(s) || isJsonText(s), 'must be JSON text');

/** The board's per-player limits an event was stamped with (null fields: no such limit). */
export const playerLimitsSchema = z.object({
  maxEventsPerMinute: z.number().int().min(1).max(1_000_000).nullable().default(null),
  maxDelta: scoreValueSchema.min(1).nullable().default(null),
});
export type PlayerLimits = z.output<typeof playerLimitsSchema>;

/**
 * A score event as it travels on Kafka. Unknown fields are stripped, not refused, so that a newer
 * writer schema with extra optional fields never breaks an older projector.
 */
export const scoreEventSchema = z.object({
  eventId: eventIdSchema,
  userId: userIdSchema,
  board: boardIdSchema.default('global'),
  op: z.enum(SCORE_OPS).default('add'),
  value: scoreValueSchema,
  occurredAt: occurredAtSchema,
  periods: periodsSchema.default([]),
  source: z.string().max(128).nullable().default(null),
  metadata: metadataTextSchema.nullable().default(null),
  limits: playerLimitsSchema.nullable().default(null),
  calendar: periodCalendarSchema.nullable().default(null),
  tiebreaks: z
    .array(z.object({ value: scoreValueSchema, op: z.enum(SCORE_OPS) }))
    .max(MAX_TIEBREAK_COLUMNS)
    .default([]),
  region: regionCodeSchema.nullable().default(null),
});
export type ScoreEvent = z.output<typeof scoreEventSchema>;
/** What a direct producer must give: the schema defaults fill the rest. */
export type ScoreEventInput = z.input<typeof scoreEventSchema>;

const OPS: ReadonlySet<unknown> = new Set(SCORE_OPS);
const PERIOD_NAMES: ReadonlySet<unknown> = new Set(PERIODS);

/**
 * The projector's fast path: the event `scoreEventSchema` would give for a record decoded from Avro,
 * or undefined whenever this cannot tell (a field missing or outside the contract), and the caller
 * then asks zod, which names what is wrong. zod's parse allocated ~2.3 KB per event and was ~10 % of
 * the projector's CPU with its garbage; these are the same rules as plain tests, and a property test
 * holds the two to the same answers (score-event.test.ts).
 */
export function scoreEventFromRecord(r: Record<string, unknown>): ScoreEvent | undefined {
  const { eventId, userId, board, op, value, occurredAt, periods, source, metadata, limits, calendar, tiebreaks } = r;
  const region = r.region ?? null;
  if (region !== null && (typeof region !== 'string' || !REGION_CODE_PATTERN.test(region))) return undefined;
  if (typeof eventId !== 'string' || eventId.length < 1 || eventId.length > 128) return undefined;
  if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) return undefined;
  if (typeof board !== 'string' || !BOARD_ID_PATTERN.test(board)) return undefined;
  if (!OPS.has(op)) return undefined;
  if (!Number.isSafeInteger(value)) return undefined;
  if (!Number.isSafeInteger(occurredAt) || (occurredAt as number) <= MIN_OCCURRED_AT) return undefined;
  if ((occurredAt as number) > MAX_OCCURRED_AT) return undefined;
  if (!isPeriodSet(periods)) return undefined;
  if (source !== null && (typeof source !== 'string' || source.length > 128)) return undefined;
  if (metadata !== null && !isMetadataText(metadata)) return undefined;
  const playerLimits = limits === undefined || limits === null ? null : limitsFromRecord(limits);
  if (playerLimits === undefined) return undefined;
  const periodCalendar = calendar === undefined || calendar === null ? null : periodCalendarFromRecord(calendar);
  if (periodCalendar === undefined) return undefined;
  const columns = tiebreaks === undefined ? [] : tiebreaksFromRecord(tiebreaks);
  if (columns === undefined) return undefined;
  return {
    eventId,
    userId,
    board,
    op: op as ScoreEvent['op'],
    value: value as number,
    occurredAt: occurredAt as number,
    periods: [...periods],
    source,
    metadata,
    limits: playerLimits,
    calendar: periodCalendar,
    tiebreaks: columns,
    region,
  };
}

function tiebreaksFromRecord(tiebreaks: unknown): ScoreEvent['tiebreaks'] | undefined {
  if (!Array.isArray(tiebreaks) || tiebreaks.length > MAX_TIEBREAK_COLUMNS) return undefined;
  const out: ScoreEvent['tiebreaks'] = [];
  for (const t of tiebreaks) {
    const { value, op } = (t ?? {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(value) || !OPS.has(op)) return undefined;
    out.push({ value: value as number, op: op as ScoreEvent['op'] });
  }
  return out;
}

function limitsFromRecord(limits: unknown): PlayerLimits | undefined {
  const { maxEventsPerMinute = null, maxDelta = null } = limits as Record<string, unknown>;
  if (
    maxEventsPerMinute !== null &&
    !(
      Number.isInteger(maxEventsPerMinute) &&
      (maxEventsPerMinute as number) >= 1 &&
      (maxEventsPerMinute as number) <= 1_000_000
    )
  )
    return undefined;
  if (maxDelta !== null && !(Number.isSafeInteger(maxDelta) && (maxDelta as number) >= 1)) return undefined;
  return { maxEventsPerMinute: maxEventsPerMinute as number | null, maxDelta: maxDelta as number | null };
}

function isPeriodSet(periods: unknown): periods is Period[] {
  if (!Array.isArray(periods) || periods.length > PERIODS.length) return false;
  for (const p of periods) if (!PERIOD_NAMES.has(p)) return false;
  return hasNoRepeats(periods);
}

function isMetadataText(metadata: unknown): metadata is string {
  return typeof metadata === 'string' && (isSealed(metadata) || (fitsMetadataBytes(metadata) && isJsonText(metadata)));
}
