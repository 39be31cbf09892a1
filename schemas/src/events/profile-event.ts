import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { eventIdSchema, occurredAtSchema, userIdSchema } from './limits.js';
import { sealedTextSchema } from './sealed-text.js';

export const profileEventAvsc: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../src/events/profile-event.avsc', import.meta.url), 'utf8'),
);
export const PROFILE_EVENT_NAME = 'dev.rankstream.events.ProfileEvent';

export const usernameSchema = z.string().min(1).max(32);
export const imageUrlSchema = z.url({ protocol: /^https?$/ }).max(2048);
export const regionSchema = z.string().min(1).max(64);

/**
 * As it travels on Kafka: each personal field in the clear or sealed with the user's key
 * (sealed-text.ts; the ingest API seals them all, direct producers may send them in the clear).
 */
export const profileEventSchema = z.object({
  eventId: eventIdSchema,
  userId: userIdSchema,
  username: z.union([sealedTextSchema, usernameSchema]),
  imageUrl: z.union([sealedTextSchema, imageUrlSchema]).nullable().default(null),
  region: z.union([sealedTextSchema, regionSchema]).nullable().default(null),
  occurredAt: occurredAtSchema,
});
export type ProfileEvent = z.output<typeof profileEventSchema>;
export type ProfileEventInput = z.input<typeof profileEventSchema>;
