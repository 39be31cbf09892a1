import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { boardIdSchema, eventIdSchema, occurredAtSchema, userIdSchema } from './limits.js';

export const adminEventAvsc: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../src/events/admin-event.avsc', import.meta.url), 'utf8'),
);
export const ADMIN_EVENT_NAME = 'dev.rankstream.events.AdminEvent';

export const ADMIN_ACTIONS = ['remove_entry', 'ban', 'unban', 'erase'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/**
 * A board instance's key: all, daily:YYYY-MM-DD, weekly:YYYY-Www or monthly:YYYY-MM (followed by
 * ~<reset instant> after a reset inside it, board-schedule.ts), or season:<seasonId>. A removal
 * names a global instance; its regional views (regions.ts) go with it.
 */
export const periodKeySchema = z
  .string()
  .regex(
    /^(all|(daily:\d{4}-\d{2}-\d{2}|weekly:\d{4}-W\d{2}|monthly:\d{4}-\d{2})(~\d{1,16})?|season:[A-Za-z0-9_.-]{1,64})$/,
    'must be all, daily:YYYY-MM-DD, weekly:YYYY-Www, monthly:YYYY-MM (each perhaps ~<reset ms>) or season:<id>',
  );

export const adminReasonSchema = z.string().min(1).max(256);

export const adminEventSchema = z
  .object({
    eventId: eventIdSchema,
    action: z.enum(ADMIN_ACTIONS),
    userId: userIdSchema,
    board: boardIdSchema.nullable().default(null),
    periodKey: periodKeySchema.nullable().default(null),
    actor: z.string().min(1).max(128),
    reason: adminReasonSchema.nullable().default(null),
    occurredAt: occurredAtSchema,
  })
  .superRefine((e, ctx) => {
    if (e.action === 'remove_entry' && e.board === null) {
      ctx.addIssue({ code: 'custom', path: ['board'], message: 'remove_entry names a board' });
    }
    if (e.action !== 'remove_entry' && (e.board !== null || e.periodKey !== null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['board'],
        message: `${e.action} applies to every board: no board or periodKey`,
      });
    }
  });
export type AdminEvent = z.output<typeof adminEventSchema>;
export type AdminEventInput = z.input<typeof adminEventSchema>;
