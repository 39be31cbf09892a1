import { z } from 'zod';

/** Scores and values stay exactly representable as JS numbers, Redis doubles and PostgreSQL bigints. */
export const MAX_ABS_VALUE = Number.MAX_SAFE_INTEGER;
/** 2000-01-01T00:00:00Z: events must be after it. */
export const MIN_OCCURRED_AT = 946_684_800_000;
/** The largest 13-digit millisecond timestamp (year 2286): keeps the Redis member encoding fixed-width. */
export const MAX_OCCURRED_AT = 9_999_999_999_999;
export const MAX_METADATA_BYTES = 1024;

export const USER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;
export const BOARD_ID_PATTERN = /^[a-z0-9_.:-]{1,64}$/;

export const PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type Period = (typeof PERIODS)[number];
export const SCORE_OPS = ['add', 'set', 'max', 'min'] as const;
export type ScoreOp = (typeof SCORE_OPS)[number];

export const eventIdSchema = z.string().min(1).max(128);
export const userIdSchema = z.string().regex(USER_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . : @ -');
export const boardIdSchema = z.string().regex(BOARD_ID_PATTERN, 'must be 1-64 characters of a-z 0-9 _ . : -');
export const periodSchema = z.enum(PERIODS);
export const scoreValueSchema = z.number().int().min(-MAX_ABS_VALUE).max(MAX_ABS_VALUE);
export const occurredAtSchema = z
  .number()
  .int()
  .gt(MIN_OCCURRED_AT, 'must be after 2000-01-01T00:00:00Z')
  .max(MAX_OCCURRED_AT);
export const hasNoRepeats = (items: readonly unknown[]) => new Set(items).size === items.length;
/** Periods are a set: duplicates would count an event twice toward one period. */
export const periodsSchema = z.array(periodSchema).max(PERIODS.length).refine(hasNoRepeats, 'must not repeat a period');
