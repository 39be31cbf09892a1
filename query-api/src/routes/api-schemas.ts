import { z } from '@hono/zod-openapi';
import { BOARD_ID_PATTERN, SEASON_ID_PATTERN, USER_ID_PATTERN, WEEKDAYS } from '@rankstream/schemas';
import { parseAt } from '../domain/period-selection.js';

/** Request and answer schemas: they validate at the edge and make /openapi.json. */

export const MAX_USER_IDS = 100;
export const MAX_OFFSET = 10_000_000;

const boardParam = z
  .string()
  .regex(BOARD_ID_PATTERN, 'must be 1-64 characters of a-z 0-9 _ . : -')
  .openapi({ param: { name: 'board', in: 'path' }, example: 'global' });
const userParam = z
  .string()
  .regex(USER_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . : @ -')
  .openapi({ param: { name: 'userId', in: 'path' }, example: 'player-42' });

export const boardParams = z.object({ board: boardParam });
export const boardUserParams = z.object({ board: boardParam, userId: userParam });
export const userParams = z.object({ userId: userParam });

const tokens = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .openapi({
    description: 'consistencyToken(s) from the ingest API; the answer waits until the projection covers them',
  });

export const periodQuery = {
  period: z
    .enum(['all', 'daily', 'weekly', 'monthly', 'season'])
    .default('all')
    .openapi({ description: 'all-time, one of the periods the board keeps, or a season' }),
  season: z.string().regex(SEASON_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . -').optional().openapi({
    description: 'with period=season: the season to read (default: the one in progress, else the last ended)',
    example: 's1',
  }),
  at: z
    .string()
    .refine((s) => parseAt(s) !== undefined, 'must be a date YYYY-MM-DD or an RFC 3339 instant')
    .optional()
    .openapi({
      description:
        "a day inside the wanted period, on the board's calendar (its last instance, after any reset), or an RFC 3339 instant (the instance holding it); default: now",
      example: '2026-11-23',
    }),
  region: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a region code: 1-32 characters of A-Z a-z 0-9 _ -')
    .transform((r) => r.toUpperCase())
    .optional()
    .openapi({
      type: 'string',
      description: "a regional view: the ranking among that region's players, with ranks within it",
      example: 'EU',
    }),
  after: tokens,
  details: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({
      type: 'string',
      enum: ['true', 'false'],
      description: "with each entry's details: the metadata of the latest event applied to it (JSON, or null)",
    }),
};

const intParam = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: fallback });

export const topQuery = z.object({
  ...periodQuery,
  limit: intParam(1, 1000, 10),
  offset: intParam(0, MAX_OFFSET, 0),
  cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
});

export const plainPeriodQuery = z.object(periodQuery);

export const aroundQuery = z.object({ ...periodQuery, radius: intParam(0, 50, 5) });

export const ranksQuery = z.object({
  ...periodQuery,
  userIds: z
    .string()
    .transform((s) => [...new Set(s.split(',').map((id) => id.trim()))].filter(Boolean))
    .pipe(
      z
        .array(z.string().regex(USER_ID_PATTERN, 'each must be 1-64 characters of A-Z a-z 0-9 _ . : @ -'))
        .min(1, 'must name at least one user')
        .max(MAX_USER_IDS, `must name at most ${MAX_USER_IDS} users`),
    )
    .openapi({ type: 'string', example: 'alice,bob,carol', description: 'comma-separated, up to 100' }),
});

export const streamQuery = z.object({ ...periodQuery, limit: intParam(1, 100, 10) });
export const userStreamQuery = z.object({ ...periodQuery, radius: intParam(0, 50, 5) });

export const entryAnswer = z
  .object({
    rank: z.number().int(),
    userId: z.string(),
    username: z.string().nullable(),
    imageUrl: z.string().nullable(),
    score: z.number().int(),
    tiebreaks: z
      .array(z.number().int())
      .optional()
      .openapi({ description: "on boards with tie-break columns: the entry's value in each, in order" }),
    details: z.unknown().optional().openapi({ description: 'with details=true: the JSON metadata, or null' }),
  })
  .openapi('Entry');

const scope = {
  board: z.string(),
  period: z.enum(['all', 'daily', 'weekly', 'monthly', 'season']),
  periodKey: z.string().openapi({
    description:
      'the instance read: all, daily:YYYY-MM-DD (~<reset ms> after a reset), weekly:…, monthly:…, season:<id>; @<region> for a regional view',
    example: 'daily:2026-11-23',
  }),
  region: z.string().optional().openapi({ description: 'the regional view read, when one was asked for' }),
};

export const boardsAnswer = z
  .object({
    boards: z.array(
      z.object({
        board: z.string(),
        order: z.enum(['desc', 'asc']),
        tiebreaks: z
          .array(z.object({ order: z.enum(['desc', 'asc']), op: z.enum(['add', 'set', 'max', 'min']) }))
          .openapi({ description: 'tie-break columns, compared in this order after the score' }),
        periods: z.array(z.enum(['daily', 'weekly', 'monthly'])),
        timeZone: z.string().openapi({ description: 'IANA zone whose midnight starts its periods', example: 'UTC' }),
        weekStartsOn: z.enum(WEEKDAYS),
        players: z.number().int(),
        regions: z
          .array(z.object({ region: z.string(), players: z.number().int() }))
          .openapi({ description: 'its regional views with players now (all-time), by region' }),
      }),
    ),
  })
  .openapi('Boards');

export const topAnswer = z
  .object({ ...scope, total: z.number().int(), entries: z.array(entryAnswer), nextCursor: z.string().nullable() })
  .openapi('Top');

export const userAnswer = z
  .object({
    ...scope,
    rank: z.number().int(),
    userId: z.string(),
    username: z.string().nullable(),
    imageUrl: z.string().nullable(),
    score: z.number().int(),
    total: z.number().int(),
    percentile: z.number(),
    tiebreaks: z.array(z.number().int()).optional(),
    details: z.unknown().optional().openapi({ description: 'with details=true: the JSON metadata, or null' }),
  })
  .openapi('UserRank');

export const aroundAnswer = z
  .object({ ...scope, total: z.number().int(), entries: z.array(entryAnswer) })
  .openapi('Around');

export const ranksAnswer = z
  .object({ ...scope, total: z.number().int(), entries: z.array(entryAnswer), unknownUserIds: z.array(z.string()) })
  .openapi('Ranks');

export const userBoardsAnswer = z
  .object({
    userId: z.string(),
    username: z.string().nullable(),
    imageUrl: z.string().nullable(),
    region: z.string().nullable(),
    boards: z.array(z.object({ ...scope, rank: z.number().int(), score: z.number().int(), total: z.number().int() })),
  })
  .openapi('User');

export const errorAnswer = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .openapi('Error');

const jsonError = (description: string) => ({ content: { 'application/json': { schema: errorAnswer } }, description });

/** The error answers the read routes document, described once. */
export const errorResponses = {
  400: jsonError('a parameter is invalid (details name it)'),
  404: jsonError('unknown board or user'),
  429: jsonError('rate limited (see Retry-After)'),
};
