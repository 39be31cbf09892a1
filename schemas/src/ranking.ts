/**
 * THE ranking order, used by the projector (Redis encoding, PostgreSQL sort key), both query
 * readers and every test oracle:
 *   1. score, descending on `desc` boards and ascending on `asc` boards;
 *   2. then each of the board's tie-break columns (up to 4), each in its own order;
 *   3. then the earlier `reachedAt` first;
 *   4. then `userId` ascending by code point.
 *
 * Both stores sort ascending by one "sort key" so that neither has to know the board's order:
 *   rankScore = -score on desc boards, score on asc boards   (Redis ZSET score, PostgreSQL rank_score)
 *   tieKey    = 17 digits per tie-break column, the value made ascending and offset by 2^53 (empty on
 *               boards without columns; PostgreSQL tie_key)
 *   member    = tieKey + 13-digit zero-padded reachedAt + ':' + userId (Redis ZSET member; equal scores
 *               sort by member bytes: the tie-breaks, then reachedAt, then userId). The member's
 *               digits end at its first ':', so the userId is what follows it.
 */
import { MAX_OCCURRED_AT } from './events/limits.js';

export type RankOrder = 'desc' | 'asc';
export const RANK_ORDERS = ['desc', 'asc'] as const;

export interface RankedEntry {
  userId: string;
  score: number;
  reachedAt: number;
  /** One value per tie-break column (missing ones count as 0). */
  tiebreaks?: readonly number[];
}

export const MAX_TIEBREAK_COLUMNS = 4;

/**
 * Identifiers (userIds, board ids, period keys) are ASCII by contract, so UTF-16 comparison equals code
 * point and byte comparison: the order of Redis members and of PostgreSQL's COLLATE "C".
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareEntries(
  order: RankOrder,
  tiebreakOrders: readonly RankOrder[] = [],
): (a: RankedEntry, b: RankedEntry) => number {
  return (a, b) => {
    if (a.score !== b.score) return order === 'desc' ? b.score - a.score : a.score - b.score;
    for (const [i, o] of tiebreakOrders.entries()) {
      const x = a.tiebreaks?.[i] ?? 0;
      const y = b.tiebreaks?.[i] ?? 0;
      if (x !== y) return o === 'desc' ? y - x : x - y;
    }
    if (a.reachedAt !== b.reachedAt) return a.reachedAt - b.reachedAt;
    return compareIds(a.userId, b.userId);
  };
}

const TIE_DIGITS = 17;
const TIE_OFFSET = 2n ** 53n;

/**
 * The tie-break values as one string that sorts by bytes in the board's order: per column, the value
 * made ascending (negated on desc columns) plus 2^53, in 17 digits. Missing values count as 0.
 */
export function toTieKey(orders: readonly RankOrder[], values: readonly number[] | undefined): string {
  let key = '';
  for (const [i, o] of orders.entries()) {
    const v = values?.[i] ?? 0;
    key += (BigInt(o === 'desc' ? -v : v) + TIE_OFFSET).toString().padStart(TIE_DIGITS, '0');
  }
  return key;
}

/** toTieKey's inverse; a column the key does not hold (a shorter key) reads as 0, as toTieKey writes it. */
export function fromTieKey(orders: readonly RankOrder[], key: string): number[] {
  return orders.map((o, i) => {
    const digits = key.slice(i * TIE_DIGITS, (i + 1) * TIE_DIGITS);
    if (digits.length < TIE_DIGITS) return 0;
    const v = Number(BigInt(digits) - TIE_OFFSET);
    return o === 'desc' ? -v || 0 : v;
  });
}

/** Ascending sort key's numeric part. Never returns -0, which Redis would keep as a distinct score. */
export function toRankScore(order: RankOrder, score: number): number {
  if (order === 'asc' || score === 0) return score;
  return -score;
}

export function fromRankScore(order: RankOrder, rankScore: number): number {
  return toRankScore(order, rankScore);
}

/** A member's reachedAt takes these many digits, just before the ':' that precedes the userId. */
export const REACHED_AT_DIGITS = String(MAX_OCCURRED_AT).length;

export function toRedisMember(reachedAt: number, userId: string, tieKey = ''): string {
  return `${tieKey}${String(reachedAt).padStart(REACHED_AT_DIGITS, '0')}:${userId}`;
}

export function fromRedisMember(member: string): { reachedAt: number; userId: string; tieKey: string } {
  const colon = member.indexOf(':');
  return {
    reachedAt: Number(member.slice(colon - REACHED_AT_DIGITS, colon)),
    userId: member.slice(colon + 1),
    tieKey: member.slice(0, colon - REACHED_AT_DIGITS),
  };
}

/**
 * The PostgreSQL ORDER BY matching compareEntries, over the totals table's columns. user_id is
 * declared COLLATE "C" so that it compares by bytes like Redis and like compareIds.
 */
export const RANK_ORDER_SQL = 'rank_score ASC, tie_key ASC, reached_at ASC, user_id ASC';

/** 1-based rank to percentile: rank 1 is 100, the last of N is 100/N; two decimals. */
export function percentile(rank: number, total: number): number {
  return Math.round(((100 * (total - rank + 1)) / total) * 100) / 100;
}
