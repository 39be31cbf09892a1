import type { Logger, Pool } from '@rankstream/schemas/runtime';
import type { BanList, Barred } from '../ports.js';

/**
 * How far back each refresh looks past the last one: a row carries its batch transaction's start
 * time, and the transaction commits later, so a refresh that looked only past its last read could
 * miss it for good.
 */
const OVERLAP = '60 seconds';

/** What this instance published itself outweighs the copy for this long (the projector folds it sooner). */
const NOTE_HOLDS_MS = 30_000;

/**
 * The banned and erased users in memory, refreshed from user_bans at most every `refreshMs` by the
 * request that finds the copy old (only the rows changed since the last read, which keeps the refresh
 * cheap however many there are). The projector ignores such a user's events at the action's log
 * position whatever this says; refusing them here answers the game server early with a 403. Should
 * PostgreSQL be unreachable, the last copy stays in use (none: no one is refused), and events are
 * still accepted: the projector decides.
 */
export function createPostgresBanList(
  pool: Pool,
  options: { refreshMs: number; now: () => number; logger: Logger },
): BanList {
  const barred = new Map<string, Barred>();
  const notes = new Map<string, { standing: Barred | null; until: number }>();
  /** The database's clock at the last read, for the next one's lower bound. */
  let readAt: string | null = null;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    const { rows } = await pool.query<{ at: string; changes: [string, boolean, boolean][] | null }>(
      `SELECT now()::text AS at, (SELECT json_agg(json_build_array(user_id, banned, erased)) FROM user_bans
         WHERE CASE WHEN $1::timestamptz IS NULL THEN banned OR erased
                    ELSE changed_at > $1::timestamptz - interval '${OVERLAP}' END) AS changes`,
      [readAt],
    );
    const row = rows[0];
    if (!row) return;
    for (const [userId, banned, erased] of row.changes ?? []) {
      if (erased) barred.set(userId, 'erased');
      else if (banned) barred.set(userId, 'banned');
      else barred.delete(userId);
    }
    readAt = row.at;
  }

  function fresh(): Promise<void> {
    if (options.now() - refreshedAt < options.refreshMs) return Promise.resolve();
    refreshing ??= refresh()
      .catch((error) => options.logger.warn({ err: error }, 'could not refresh the bans; keeping the last copy'))
      .finally(() => {
        refreshedAt = options.now();
        refreshing = undefined;
      });
    return refreshing;
  }

  return {
    async barred(userIds) {
      await fresh();
      const now = options.now();
      const found = new Map<string, Barred>();
      for (const userId of userIds) {
        const note = notes.get(userId);
        if (note !== undefined && note.until < now) notes.delete(userId);
        const standing = note !== undefined && note.until >= now ? note.standing : barred.get(userId);
        // An erasure is for good: a later note of an unban does not lift it.
        const erased = barred.get(userId) === 'erased' || standing === 'erased';
        if (erased) found.set(userId, 'erased');
        else if (standing) found.set(userId, standing);
      }
      return found;
    },
    note(userId, standing) {
      // An erasure is for good: a later unban or ban does not replace its note.
      const erased = notes.get(userId)?.standing === 'erased' || barred.get(userId) === 'erased';
      notes.set(userId, { standing: erased ? 'erased' : standing, until: options.now() + NOTE_HOLDS_MS });
    },
  };
}
