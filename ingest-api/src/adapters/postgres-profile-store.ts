import type { Pool } from '@rankstream/schemas/runtime';
import type { Profile } from '../domain/profile-merge.js';
import { type ProfileStore, UserErasedError } from '../ports.js';

interface ProfileRow {
  user_id: string;
  username: string;
  image_url: string | null;
  region: string | null;
}

/**
 * The ingest API's record of the profiles it published (`ingest_profiles`), for the 409 on a second
 * POST and for merging PUTs without waiting for the projection. A transaction-scoped advisory lock per
 * user serialises requests for one user, including the very first one, when there is no row to lock.
 */
export function createPostgresProfileStore(pool: Pool): ProfileStore {
  return {
    async withUser(userId, step) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('ingest_profiles:' || $1, 0))`, [userId]);
        // Under the lock an erasure takes too: a user erased meanwhile gets no profile recorded again
        // (another instance may still hold their key in its cache and seal with it).
        const erased = await client.query('SELECT 1 FROM user_keys WHERE user_id = $1 AND key IS NULL', [userId]);
        if (erased.rows.length > 0) throw new UserErasedError(userId);
        const { rows } = await client.query<ProfileRow>(
          'SELECT user_id, username, image_url, region FROM ingest_profiles WHERE user_id = $1',
          [userId],
        );
        const row = rows[0];
        const current: Profile | undefined = row
          ? { userId: row.user_id, username: row.username, imageUrl: row.image_url, region: row.region }
          : undefined;
        const { save, result } = await step(current);
        if (save) {
          await client.query(
            `INSERT INTO ingest_profiles (user_id, username, image_url, region) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE
               SET username = EXCLUDED.username, image_url = EXCLUDED.image_url, region = EXCLUDED.region, updated_at = now()`,
            [save.userId, save.username, save.imageUrl, save.region],
          );
        }
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
