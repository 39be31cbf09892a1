import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DevApiKey {
  key: string;
  /** The API_KEYS value the ingest API gets: only the hash, never the key. */
  apiKeys: string;
}

/**
 * A key for local development, generated once and kept in a git-ignored file so that it stays the
 * same across restarts (scripts and curl commands keep working).
 */
export function devApiKey(file: string): DevApiKey {
  let key = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!key) {
    key = `rs_dev_${randomBytes(24).toString('base64url')}`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
  }
  const hash = createHash('sha256').update(key, 'utf8').digest('hex');
  return { key, apiKeys: `dev:${hash}:ingest+admin` };
}
