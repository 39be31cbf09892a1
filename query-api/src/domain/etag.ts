import { createHash } from 'node:crypto';

/**
 * An ETag from the store's watermark plus what else picks the answer (the resolved period key, for
 * instance, which changes at midnight while the watermark may not). Both stores at the same
 * watermark give byte-identical bodies, so the tag does not name the store.
 */
export function watermarkEtag(watermark: Record<number, number>, variant: string): string {
  const parts = Object.keys(watermark)
    .map(Number)
    .sort((a, b) => a - b)
    .map((p) => `${p}:${watermark[p]}`);
  const digest = createHash('sha1')
    .update(`${parts.join(',')}|${variant}`)
    .digest('base64url')
    .slice(0, 22);
  return `"${digest}"`;
}

/** If-None-Match matching with the weak comparison RFC 9110 asks for on GET. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}
