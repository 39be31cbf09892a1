import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { boardIdSchema, eventIdSchema, occurredAtSchema } from './limits.js';

export const boardEventAvsc: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../src/events/board-event.avsc', import.meta.url), 'utf8'),
);
export const BOARD_EVENT_NAME = 'dev.rankstream.events.BoardEvent';

export const BOARD_ACTIONS = ['season', 'reset'] as const;
export type BoardAction = (typeof BOARD_ACTIONS)[number];

export const SEASON_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const seasonIdSchema = z.string().regex(SEASON_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . -');

export const boardEventSchema = z
  .object({
    eventId: eventIdSchema,
    action: z.enum(BOARD_ACTIONS),
    board: boardIdSchema,
    seasonId: seasonIdSchema.nullable().default(null),
    startsAt: occurredAtSchema.nullable().default(null),
    endsAt: occurredAtSchema.nullable().default(null),
    actor: z.string().min(1).max(128),
    occurredAt: occurredAtSchema,
  })
  .superRefine((e, ctx) => {
    const named = [e.seasonId, e.startsAt, e.endsAt].filter((v) => v !== null).length;
    if (e.action === 'season' && named !== 3) {
      ctx.addIssue({ code: 'custom', path: ['seasonId'], message: 'a season names seasonId, startsAt and endsAt' });
    }
    if (e.action === 'reset' && named !== 0 && named !== 3) {
      ctx.addIssue({ code: 'custom', path: ['seasonId'], message: 'the next season names all three or none' });
    }
    if (e.startsAt !== null && e.endsAt !== null && e.endsAt <= e.startsAt) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    }
    if (e.action === 'reset' && e.startsAt !== null && e.startsAt !== e.occurredAt) {
      ctx.addIssue({ code: 'custom', path: ['startsAt'], message: 'the next season starts at the reset' });
    }
  });
export type BoardEvent = z.output<typeof boardEventSchema>;
export type BoardEventInput = z.input<typeof boardEventSchema>;

/** The copy of a board event that goes to one partition: each copy is its own event in the ledger. */
export function partitionCopyId(eventId: string, partition: number): string {
  return `${eventId}/p${partition}`;
}
