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
  const fields: Record<string, unknown> = { k: periodKey, s: after.rankScore, r: after.reachedAt, u: after.userId };
  // Only boards with tie-break columns have a tie key: other cursors stay as they were.
  if (after.tieKey) fields.t = after.tieKey;
  const json = JSON.stringify(fields);
  return `c1.${Buffer.from(json).toString('base64url')}`;
}

export function decodeCursor(text: string): TopCursor | undefined {
  if (!text.startsWith('c1.')) return undefined;
  try {
    const raw = JSON.parse(Buffer.from(text.slice(3), 'base64url').toString('utf8')) as Record<string, unknown>;
    const { k, s, r, u, t } = raw;
    if (typeof k !== 'string' || k.length > 64) return undefined;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(r) || (r as number) < 0) return undefined;
    if (typeof u !== 'string' || !USER_ID_PATTERN.test(u)) return undefined;
    if (t !== undefined && (typeof t !== 'string' || !/^\d{0,68}$/.test(t))) return undefined;
    const after: RankPosition = { rankScore: s as number, reachedAt: r as number, userId: u };
    if (t) after.tieKey = t;
    return { periodKey: k, after };
  } catch {
    return undefined;
  }
}
