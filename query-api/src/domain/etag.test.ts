import { describe, expect, it } from 'vitest';
import { etagMatches, watermarkEtag } from './etag.js';

describe('watermark ETags', () => {
  it('depend on the watermark and the variant, not on partition order', () => {
    const a = watermarkEtag({ 0: 5, 1: 7 }, 'all');
    expect(watermarkEtag({ 1: 7, 0: 5 }, 'all')).toBe(a);
    expect(watermarkEtag({ 0: 5, 1: 8 }, 'all')).not.toBe(a);
    expect(watermarkEtag({ 0: 5, 1: 7 }, 'daily:2026-11-23')).not.toBe(a);
    expect(a).toMatch(/^"[\w-]{22}"$/);
  });

  it('match If-None-Match lists, weak tags and *', () => {
    const tag = '"abc"';
    expect(etagMatches(undefined, tag)).toBe(false);
    expect(etagMatches('"abc"', tag)).toBe(true);
    expect(etagMatches('W/"abc"', tag)).toBe(true);
    expect(etagMatches('"x", "abc"', tag)).toBe(true);
    expect(etagMatches('*', tag)).toBe(true);
    expect(etagMatches('"abd"', tag)).toBe(false);
  });
});
