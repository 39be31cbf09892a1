import { randomBytes } from 'node:crypto';
import { USER_KEY_BYTES } from '@rankstream/schemas';
import type { Pool } from '@rankstream/schemas/runtime';
import { UserErasedError, type UserKeys } from '../ports.js';

/**
 * The users' keys (user_keys), created on first use and cached for `ttlMs`: a key never changes, and
 * an erasure elsewhere reaches this cache within that time. A key used meanwhile seals data that no
 * one can read once the cache lets go of it: the key is gone from PostgreSQL.
 */
export function createPostgresUserKeys(
  pool: Pool,
  options: { ttlMs: number; maxEntries: number; now: () => number },
): UserKeys {
  const cache = new Map<string, { key: Buffer; until: number }>();

  return {
    async keysFor(userIds) {
      const now = options.now();
      const keys = new Map<string, Buffer>();
      const missing: string[] = [];
      for (const userId of new Set(userIds)) {
        const hit = cache.get(userId);
        if (hit !== undefined && hit.until > now) keys.set(userId, hit.key);
        else missing.push(userId);
      }
      if (missing.length === 0) return keys;
      const fresh = missing.map(() => randomBytes(USER_KEY_BYTES));
      // Created where absent; a tombstone (key NULL) is an erased user and stays one.
      const { rows } = await pool.query<{ user_id: string; key: Buffer | null }>(
        `WITH wanted AS (SELECT * FROM unnest($1::text[], $2::bytea[]) AS w(user_id, key)),
           created AS (
             INSERT INTO user_keys (user_id, key) SELECT user_id, key FROM wanted
             ON CONFLICT (user_id) DO NOTHING RETURNING user_id, key)
         SELECT user_id, key FROM created
         UNION ALL SELECT k.user_id, k.key FROM user_keys k JOIN wanted w USING (user_id)
         WHERE NOT EXISTS (SELECT 1 FROM created c WHERE c.user_id = k.user_id)`,
        [missing, fresh],
      );
      // A key a concurrent first use inserted is skipped by ON CONFLICT but may be invisible to this
      // statement's snapshot: a second statement sees it.
      const found = new Set(rows.map((r) => r.user_id));
      const late = missing.filter((u) => !found.has(u));
      if (late.length > 0) {
        const again = await pool.query<{ user_id: string; key: Buffer | null }>(
          'SELECT user_id, key FROM user_keys WHERE user_id = ANY($1::text[])',
          [late],
        );
        rows.push(...again.rows);
        if (again.rows.length < late.length) throw new Error(`no key row for ${late.length - again.rows.length} users`);
      }
      for (const row of rows) {
        if (row.key === null) throw new UserErasedError(row.user_id);
        keys.set(row.user_id, row.key);
        if (cache.size >= options.maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(row.user_id, { key: row.key, until: now + options.ttlMs });
      }
      return keys;
    },

    async erase(userId) {
      cache.delete(userId);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // The profile writes' per-user lock (postgres-profile-store.ts): one in flight finishes first.
        await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('ingest_profiles:' || $1, 0))`, [userId]);
        await client.query(
          `INSERT INTO user_keys (user_id, key, erased_at) VALUES ($1, NULL, now())
           ON CONFLICT (user_id) DO UPDATE SET key = NULL, erased_at = COALESCE(user_keys.erased_at, now())`,
          [userId],
        );
        await client.query('DELETE FROM ingest_profiles WHERE user_id = $1', [userId]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
