import { HttpError } from '@rankstream/schemas';
import type { AppDeps } from './deps.js';

/**
 * 403 naming every event of a banned or erased user; the whole request is refused and nothing
 * published. `user_erased` when any of them was erased (for good), else `user_banned`. A ban is
 * about scores: a request without score events (`scores: false`) is refused for erased users only.
 */
export async function refuseBanned(
  deps: AppDeps,
  users: readonly { userId: string; path: string }[],
  scores = true,
): Promise<void> {
  const barred = await deps.bans.barred(users.map((u) => u.userId));
  if (!scores) for (const [userId, standing] of barred) if (standing === 'banned') barred.delete(userId);
  if (barred.size === 0) return;
  const erased = [...barred.values()].includes('erased');
  throw new HttpError(
    403,
    erased ? 'user_erased' : 'user_banned',
    erased
      ? "an erased user's events are refused for good"
      : "a banned user's score events are refused (DELETE /v1/users/{userId}/ban lifts the ban)",
    users.flatMap((u) => {
      const standing = barred.get(u.userId);
      if (standing === undefined) return [];
      return [{ path: u.path, message: standing === 'erased' ? 'this user was erased' : 'this user is banned' }];
    }),
  );
}
