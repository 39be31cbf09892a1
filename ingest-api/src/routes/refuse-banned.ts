import { HttpError } from '@rankstream/schemas';
import type { AppDeps } from './deps.js';

/** 403 naming every score event of a banned user; the whole request is refused and nothing published. */
export async function refuseBanned(deps: AppDeps, users: readonly { userId: string; path: string }[]): Promise<void> {
  const banned = await deps.bans.banned(users.map((u) => u.userId));
  if (banned.size === 0) return;
  throw new HttpError(
    403,
    'user_banned',
    "a banned user's score events are refused (DELETE /v1/users/{userId}/ban lifts the ban)",
    users.filter((u) => banned.has(u.userId)).map((u) => ({ path: u.path, message: 'this user is banned' })),
  );
}
