import { describe, expect, it } from 'vitest';
import { findApiKey, parseApiKeys, sha256Hex } from './api-keys.js';

describe('API keys', () => {
  it('parses name:sha256hex:scopes and finds a key by the SHA-256 of what was presented', () => {
    const keys = parseApiKeys(` game:${sha256Hex('s3cret')}:ingest , ops:${sha256Hex('0ps')}:ingest+admin`);
    expect(keys.map((k) => [k.name, [...k.scopes]])).toEqual([
      ['game', ['ingest']],
      ['ops', ['ingest', 'admin']],
    ]);
    expect(findApiKey(keys, 's3cret')?.name).toBe('game');
    expect(findApiKey(keys, '0ps')?.name).toBe('ops');
    expect(findApiKey(keys, 's3cre')).toBeUndefined();
    expect(findApiKey(keys, '')).toBeUndefined();
  });

  it('refuses malformed entries without echoing anything secret', () => {
    expect(() => parseApiKeys('')).toThrow(/no key/);
    expect(() => parseApiKeys('a:abc:ingest')).toThrow(/entry 1 \(a\): the hash/);
    expect(() => parseApiKeys(`a:${sha256Hex('k')}:write`)).toThrow(/unknown scope "write"/);
    expect(() => parseApiKeys(`a:${sha256Hex('k').toUpperCase()}:ingest`)).toThrow(/lower-case/);
    expect(() => parseApiKeys('just-a-name')).toThrow(/name:sha256hex:scope/);
  });
});
