import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, openSealed, sealedTextSchema, sealText } from './sealed-text.js';

describe('sealed text', () => {
  const key = randomBytes(32);
  it('opens with the key and the user it was sealed for, and with nothing else', () => {
    const sealed = sealText(key, 'u1', 'Ada Lovelace ✓', randomBytes(12));
    expect(isSealed(sealed)).toBe(true);
    expect(sealedTextSchema.safeParse(sealed).success).toBe(true);
    expect(sealed).not.toContain('Ada');
    expect(openSealed(key, 'u1', sealed)).toBe('Ada Lovelace ✓');
    expect(openSealed(key, 'u2', sealed)).toBeUndefined();
    expect(openSealed(randomBytes(32), 'u1', sealed)).toBeUndefined();
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(openSealed(key, 'u1', tampered)).toBeUndefined();
  });

  it('seals the largest field within the pattern, and never two values alike', () => {
    const long = 'é'.repeat(2048);
    expect(isSealed(sealText(key, 'u1', long, randomBytes(12)))).toBe(true);
    expect(sealText(key, 'u1', 'x', randomBytes(12))).not.toBe(sealText(key, 'u1', 'x', randomBytes(12)));
    expect(isSealed('enc:v1:short')).toBe(false);
    expect(isSealed('Ada')).toBe(false);
  });
});
