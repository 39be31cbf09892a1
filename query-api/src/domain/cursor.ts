import { USER_ID_PATTERN } from '@rankstream/schemas';
import type { RankPosition } from './read-model.js';

/**
 * A top-N cursor names the last entry of the page it came with (its sort key) and the period key,
 * so that the next page continues right after that entry even if ranks above it changed, and a
 * daily board keeps paging the same day across midnight. Opaque to clients: "c1." + base64url(JSON).
 */
export interface TopCursor {
  periodKey: string;
  after: RankPosition;
}

export function encodeCursor(cursor: TopCursor): string {
  const { periodKey, after } = cursor;
  const json = JSON.stringify({ k: periodKey, s: after.rankScore, r: after.reachedAt, u: after.userId });
  return `c1.${Buffer.from(json).toString('base64url')}`;
}

export function decodeCursor(text: string): TopCursor | undefined {
  if (!text.startsWith('c1.')) return undefined;
  try {
    const raw = JSON.parse(Buffer.from(text.slice(3), 'base64url').toString('utf8')) as Record<string, unknown>;
    const { k, s, r, u } = raw;
    if (typeof k !== 'string' || k.length > 64) return undefined;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(r) || (r as number) < 0) return undefined;
    if (typeof u !== 'string' || !USER_ID_PATTERN.test(u)) return undefined;
    return { periodKey: k, after: { rankScore: s as number, reachedAt: r as number, userId: u } };
  } catch {
    return undefined;
  }
}
