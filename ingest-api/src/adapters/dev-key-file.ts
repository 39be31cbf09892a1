import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The development key used when API_KEYS is unset: generated once into a git-ignored file and reused
 * by every later start. It is the same file `npm start` uses (.stack/dev-api-key), so both agree. `created` tells the caller to print it (once).
 */
export async function loadOrCreateDevKey(path: string): Promise<{ key: string; created: boolean }> {
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (key) return { key, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `rs_dev_${randomBytes(24).toString('base64url')}`;
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return { key, created: true };
  } catch (error) {
    // Another process (a second service start) wrote it first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateDevKey(path);
    throw error;
  }
}
