import { createCipheriv, createDecipheriv } from 'node:crypto';
import { z } from 'zod';

/**
 * Personal text in the log (a profile's username, imageUrl and region, a score event's metadata) is
 * sealed with its user's key: AES-256-GCM, the userId as additional data (a value moved to another
 * user does not open), written `enc:v1:` + base64url(iv ‖ tag ‖ ciphertext). The keys live in
 * PostgreSQL (user_keys); erasing a user deletes theirs, and what the log holds of them can no longer
 * be read (crypto-shredding), though the log itself is kept for ever.
 */
export const SEALED_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const USER_KEY_BYTES = 32;
/** Room for the largest field (imageUrl, 2048 characters of up to 4 UTF-8 bytes) sealed. */
const SEALED_PATTERN = /^enc:v1:[A-Za-z0-9_-]{39,11000}$/;

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && SEALED_PATTERN.test(value);
}

export const sealedTextSchema = z.string().regex(SEALED_PATTERN, 'must be sealed text (enc:v1:…)');

/** `iv`: 12 random bytes, fresh for every value sealed (GCM must never reuse one under a key). */
export function sealText(key: Buffer, userId: string, plaintext: string, iv: Buffer): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(userId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** The plaintext, or undefined when this key and user do not open it. */
export function openSealed(key: Buffer, userId: string, sealed: string): string | undefined {
  if (!isSealed(sealed)) return undefined;
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(userId, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
