import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { eventIdSchema, occurredAtSchema, userIdSchema } from './limits.js';

export const profileEventAvsc: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../src/events/profile-event.avsc', import.meta.url), 'utf8'),
);
export const PROFILE_EVENT_NAME = 'dev.rankstream.events.ProfileEvent';

export const usernameSchema = z.string().min(1).max(32);
export const imageUrlSchema = z.url({ protocol: /^https?$/ }).max(2048);
export const regionSchema = z.string().min(1).max(64);

export const profileEventSchema = z.object({
  eventId: eventIdSchema,
  userId: userIdSchema,
  username: usernameSchema,
  imageUrl: imageUrlSchema.nullable().default(null),
  region: regionSchema.nullable().default(null),
  occurredAt: occurredAtSchema,
});
export type ProfileEvent = z.output<typeof profileEventSchema>;
export type ProfileEventInput = z.input<typeof profileEventSchema>;
