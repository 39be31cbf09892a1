import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  name: string;
  /** SHA-256 of the key. The key itself is never kept. */
  hash: Buffer;
  scopes: ReadonlySet<Scope>;
}

/** `name:sha256hex:scope+scope`, comma-separated. Throws naming the entry (never a secret: only hashes). */
export function parseApiKeys(text: string): ApiKey[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('API_KEYS holds no key');
  return entries.map((entry, i) => {
    const [name, hex, scopeList, ...rest] = entry.split(':');
    if (!name || !hex || !scopeList || rest.length) {
      throw new Error(`API_KEYS entry ${i + 1} must be name:sha256hex:scope+scope`);
    }
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new Error(`API_KEYS entry ${i + 1} (${name}): the hash must be 64 lower-case hex digits`);
    }
    const scopes = scopeList.split('+');
    for (const s of scopes) {
      if (!(SCOPES as readonly string[]).includes(s)) {
        throw new Error(`API_KEYS entry ${i + 1} (${name}): unknown scope "${s}" (use ${SCOPES.join(', ')})`);
      }
    }
    return { name, hash: Buffer.from(hex, 'hex'), scopes: new Set(scopes as Scope[]) };
  });
}

export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The key whose hash matches, comparing in constant time against every configured key (no early
 * exit), so timing tells nothing about which hash or how much of it matched.
 */
export function findApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const hash = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.hash, hash) && !found) found = key;
  }
  return found;
}
