import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devApiKey } from '../src/stack/dev-api-key.js';

describe('devApiKey', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('generates a key once, keeps it private on disk, and hands the ingest API only its SHA-256', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-devkey-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'dev-api-key');

    const first = devApiKey(file);
    const second = devApiKey(file);

    expect(second.key).toBe(first.key);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key);
    expect(statSync(file).mode & 0o077).toBe(0);
    const sha = createHash('sha256').update(first.key).digest('hex');
    expect(first.apiKeys).toBe(`dev:${sha}:ingest+admin`);
    expect(first.apiKeys).not.toContain(first.key);
  });

  it('gives different machines (files) different keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-devkey-'));
    dirs.push(dir);
    expect(devApiKey(join(dir, 'a')).key).not.toBe(devApiKey(join(dir, 'b')).key);
  });
});
