import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  boardIdSchema,
  eventIdSchema,
  MAX_METADATA_BYTES,
  occurredAtSchema,
  periodsSchema,
  SCORE_OPS,
  scoreValueSchema,
  userIdSchema,
} from './limits.js';

export const scoreEventAvsc: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../src/events/score-event.avsc', import.meta.url), 'utf8'),
);
export const SCORE_EVENT_NAME = 'dev.rankstream.events.ScoreEvent';

/** Metadata travels as JSON text; it must parse and stay small. */
export const metadataTextSchema = z
  .string()
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes`)
  .refine((s) => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be JSON text');

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
});
export type ScoreEvent = z.output<typeof scoreEventSchema>;
/** What a direct producer must give: the schema defaults fill the rest. */
export type ScoreEventInput = z.input<typeof scoreEventSchema>;
