import {
  ADMIN_ACTIONS,
  adminReasonSchema,
  boardIdSchema,
  eventIdSchema,
  imageUrlSchema,
  MAX_TIEBREAK_COLUMNS,
  PERIODS,
  periodsSchema,
  regionSchema,
  SCORE_OPS,
  scoreValueSchema,
  seasonIdSchema,
  timeZoneSchema,
  userIdSchema,
  usernameSchema,
  weekdaySchema,
} from '@rankstream/schemas';
import { z } from 'zod';

/**
 * The HTTP request bodies. Strict: no coercion ("5" is not a number) and unknown fields are refused,
 * unlike the Kafka-level schemas, which strip unknown fields for forward compatibility.
 */
export const requestOpSchema = z.enum([...SCORE_OPS, 'best']);

const occurredAtSchema = z.union([z.number().int(), z.iso.datetime({ offset: true })], {
  error: 'must be an RFC 3339 date-time (e.g. 2026-11-23T20:00:00Z) or epoch milliseconds',
});

export const scoreItemSchema = z
  .strictObject({
    eventId: eventIdSchema.optional().meta({ description: 'Idempotency key; a UUIDv7 is assigned when absent.' }),
    userId: userIdSchema,
    board: boardIdSchema.optional().meta({ description: 'Default `global`.' }),
    op: requestOpSchema.optional().meta({ description: "Default: the board's defaultOp." }),
    value: scoreValueSchema,
    occurredAt: occurredAtSchema.optional().meta({ description: 'Default: receipt time.' }),
    source: z.string().max(128).optional(),
    // Bodies arrive as JSON, so any value here is JSON already (z.json() would also break the OpenAPI generator).
    metadata: z.unknown().optional().meta({ description: 'Any JSON, at most 1 KB serialized.' }),
    region: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a region code: 1-32 characters of A-Z a-z 0-9 _ -')
      .optional()
      .meta({
        description:
          "The player's region from this event on (upper-cased), for the regional views (?region= on the query API); it wins over the profile's until either changes it.",
        example: 'EU',
      }),
    tiebreaks: z
      .array(scoreValueSchema)
      .max(MAX_TIEBREAK_COLUMNS)
      .optional()
      .meta({ description: "Values for the board's tie-break columns, in order; one left out keeps its value." }),
  })
  .meta({ id: 'ScoreEventRequest' });

export const MAX_BATCH = 1000;

/** The batch's outer shape; its items are then judged one by one with scoreItemSchema. */
export const batchEnvelopeSchema = z.strictObject({ events: z.array(z.unknown()).min(1).max(MAX_BATCH) });

export const scoreBatchSchema = z
  .strictObject({ events: z.array(scoreItemSchema).min(1).max(MAX_BATCH) })
  .meta({ id: 'ScoreEventBatchRequest' });

export const acceptedSchema = z
  .object({
    accepted: z.number().int(),
    events: z.array(z.object({ eventId: z.string(), partition: z.number().int(), offset: z.number().int() })),
    consistencyToken: z.string(),
  })
  .meta({ id: 'Accepted' });

const tiebreakColumnSchema = z.strictObject({ order: z.enum(['desc', 'asc']), op: z.enum(SCORE_OPS) });

export const boardPutSchema = z
  .strictObject({
    order: z.enum(['desc', 'asc']).optional(),
    tiebreaks: z
      .array(tiebreakColumnSchema)
      .max(MAX_TIEBREAK_COLUMNS)
      .optional()
      .meta({
        description:
          'Up to 4 columns ranking players of equal score, each with its order and op; events give their values in `tiebreaks`. Fixed at creation.',
        example: [
          { order: 'asc', op: 'min' },
          { order: 'desc', op: 'add' },
        ],
      }),
    defaultOp: z.enum(['add', 'set', 'best']).optional(),
    periods: periodsSchema.optional(),
    maxEventsPerMinute: z.number().int().min(1).max(1_000_000).nullable().optional().meta({
      description: 'Most score events one player may send to the board per minute (429 past it); null lifts it.',
    }),
    maxDelta: scoreValueSchema.min(1).nullable().optional().meta({
      description: "Largest change one event may make to a player's all-time total (400 past it); null lifts it.",
    }),
    timeZone: timeZoneSchema.optional().meta({
      description:
        'IANA zone whose midnight starts each day, week and month (default UTC); fixed once the board has kept periods.',
      example: 'America/New_York',
    }),
    weekStartsOn: weekdaySchema.optional().meta({
      description: 'First day of a weekly period (default monday); fixed once the board has kept periods.',
    }),
  })
  .meta({ id: 'BoardPut' });

export const boardSchema = z
  .object({
    board: z.string(),
    order: z.enum(['desc', 'asc']),
    tiebreaks: z.array(tiebreakColumnSchema),
    defaultOp: z.enum(['add', 'set', 'best']),
    periods: z.array(z.enum(PERIODS)),
    maxEventsPerMinute: z.number().int().nullable(),
    maxDelta: z.number().int().nullable(),
    timeZone: z.string(),
    weekStartsOn: weekdaySchema,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Board' });

const instantSchema = occurredAtSchema;

export const seasonPostSchema = z
  .strictObject({
    seasonId: seasonIdSchema,
    startsAt: instantSchema.meta({ description: 'First instant of the season (RFC 3339 or epoch ms).' }),
    endsAt: instantSchema.meta({
      description: 'The instant it ends, not included; must be after startsAt and in the future.',
    }),
  })
  .meta({ id: 'SeasonPost' });

export const resetPostSchema = z
  .strictObject({
    seasonId: seasonIdSchema.optional().meta({ description: 'A season to start at the reset (with endsAt).' }),
    endsAt: instantSchema.optional().meta({ description: 'When that season ends.' }),
  })
  .meta({ id: 'ResetPost' });

const seasonFields = {
  seasonId: z.string(),
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
};

export const seasonSchema = z
  .object({
    board: z.string(),
    ...seasonFields,
    status: z.enum(['upcoming', 'current', 'ended']),
    consistencyToken: z.string().optional().meta({ description: 'Read-your-writes token (new seasons).' }),
  })
  .meta({ id: 'Season' });

export const seasonListSchema = z
  .object({
    board: z.string(),
    seasons: z.array(z.object({ ...seasonFields, status: z.enum(['upcoming', 'current', 'ended']) })),
    resets: z.array(z.iso.datetime()),
  })
  .meta({ id: 'SeasonList' });

export const resetSchema = z
  .object({
    board: z.string(),
    resetAt: z.iso.datetime(),
    endedSeason: z.string().nullable().meta({ description: 'The season the reset ended, if one was in progress.' }),
    startedSeason: z.object(seasonFields).nullable(),
    consistencyToken: z.string(),
  })
  .meta({ id: 'Reset' });

const profileFields = {
  imageUrl: imageUrlSchema.nullable().optional(),
  region: regionSchema.nullable().optional(),
  initialScore: scoreValueSchema
    .optional()
    .meta({ description: 'Published as a `set` score event after the profile.' }),
  board: boardIdSchema
    .optional()
    .meta({ description: 'Board of initialScore; default `global`. Only with initialScore (400 otherwise).' }),
};

export const userPostSchema = z
  .strictObject({ userId: userIdSchema.optional(), username: usernameSchema, ...profileFields })
  .meta({ id: 'UserCreate' });

export const userPutSchema = z
  .strictObject({ username: usernameSchema.optional(), ...profileFields })
  .meta({ id: 'UserUpdate' });

export const userAcceptedSchema = acceptedSchema.extend({ userId: z.string() }).meta({ id: 'UserAccepted' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .meta({ id: 'Error' });

/** DELETE /v1/boards/:board/users/:userId's query: without `period`, every instance of the board. */
export const removeEntryQuerySchema = z.strictObject({
  period: z
    .enum(['all', ...PERIODS, 'season'])
    .optional()
    .meta({ description: 'The one instance to remove from; omitted, every instance of the board.' }),
  season: seasonIdSchema
    .optional()
    .meta({ description: 'With period=season: the season (default: the one holding `at`).' }),
  at: z
    .union([z.string().regex(/^\d{1,13}$/), z.iso.datetime({ offset: true })], {
      error: 'must be an RFC 3339 date-time or epoch milliseconds',
    })
    .optional()
    .meta({ description: 'A moment inside the period instance (default now); only with `period`.' }),
  reason: adminReasonSchema.optional(),
});

export const banBodySchema = z.strictObject({ reason: adminReasonSchema.optional() }).meta({ id: 'BanRequest' });

export const adminAcceptedSchema = z
  .object({
    eventId: z.string(),
    action: z.enum(ADMIN_ACTIONS),
    userId: z.string(),
    board: z.string().nullable(),
    periodKey: z.string().nullable(),
    partition: z.number().int(),
    offset: z.number().int(),
    consistencyToken: z.string(),
  })
  .meta({ id: 'AdminAccepted' });

export const auditQuerySchema = z.strictObject({
  userId: userIdSchema.optional(),
  board: boardIdSchema.optional(),
  before: z
    .string()
    .regex(/^\d{1,13}(:.{1,128})?$/, 'must be epoch milliseconds, or a nextBefore')
    .optional()
    .meta({ description: "Only actions before this: epoch ms, or the previous page's `nextBefore`." }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be 1 to 500')
    .optional()
    .meta({ description: '1 to 500, default 100.' }),
});

export const auditSchema = z
  .object({
    entries: z.array(
      z.object({
        eventId: z.string(),
        action: z.enum(ADMIN_ACTIONS),
        userId: z.string(),
        board: z.string().nullable(),
        periodKey: z.string().nullable(),
        actor: z.string().meta({ description: 'The name of the API key that asked.' }),
        reason: z.string().nullable(),
        occurredAt: z.string().meta({ description: 'When it was asked (RFC 3339).' }),
        removed: z.number().int().meta({ description: 'Totals a remove_entry deleted.' }),
        partition: z.number().int(),
        offset: z.number().int(),
      }),
    ),
    nextBefore: z.string().nullable().meta({ description: 'The `before` of the next page; null on the last.' }),
  })
  .meta({ id: 'Audit' });
