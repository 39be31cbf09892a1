/**
 * THE ranking order, used by the projector (Redis encoding, PostgreSQL sort key), both query
 * readers and every test oracle:
 *   1. score, descending on `desc` boards and ascending on `asc` boards;
 *   2. then the earlier `reachedAt` first;
 *   3. then `userId` ascending by code point.
 *
 * Both stores sort ascending by one "sort key" so that neither has to know the board's order:
 *   rankScore = -score on desc boards, score on asc boards   (Redis ZSET score, PostgreSQL rank_score)
 *   member    = 13-digit zero-padded reachedAt + ':' + userId (Redis ZSET member; equal scores sort
 *               by member bytes, which is reachedAt first, then userId)
 */
import { MAX_OCCURRED_AT } from './events/limits.js';

export type RankOrder = 'desc' | 'asc';
export const RANK_ORDERS = ['desc', 'asc'] as const;

export interface RankedEntry {
  userId: string;
  score: number;
  reachedAt: number;
}

/**
 * Identifiers (userIds, board ids, period keys) are ASCII by contract, so UTF-16 comparison equals code
 * point and byte comparison: the order of Redis members and of PostgreSQL's COLLATE "C".
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareEntries(order: RankOrder): (a: RankedEntry, b: RankedEntry) => number {
  return (a, b) => {
    if (a.score !== b.score) return order === 'desc' ? b.score - a.score : a.score - b.score;
    if (a.reachedAt !== b.reachedAt) return a.reachedAt - b.reachedAt;
    return compareIds(a.userId, b.userId);
  };
}

/** Ascending sort key's numeric part. Never returns -0, which Redis would keep as a distinct score. */
export function toRankScore(order: RankOrder, score: number): number {
  if (order === 'asc' || score === 0) return score;
  return -score;
}

export function fromRankScore(order: RankOrder, rankScore: number): number {
  return toRankScore(order, rankScore);
}

/** A member is these many digits of reachedAt, ':', then the userId. */
export const REACHED_AT_DIGITS = String(MAX_OCCURRED_AT).length;

export function toRedisMember(reachedAt: number, userId: string): string {
  return `${String(reachedAt).padStart(REACHED_AT_DIGITS, '0')}:${userId}`;
}

export function fromRedisMember(member: string): { reachedAt: number; userId: string } {
  return {
    reachedAt: Number(member.slice(0, REACHED_AT_DIGITS)),
    userId: member.slice(REACHED_AT_DIGITS + 1),
  };
}

/**
 * The PostgreSQL ORDER BY matching compareEntries, over the totals table's columns. user_id is
 * declared COLLATE "C" so that it compares by bytes like Redis and like compareIds.
 */
export const RANK_ORDER_SQL = 'rank_score ASC, reached_at ASC, user_id ASC';

/** 1-based rank to percentile: rank 1 is 100, the last of N is 100/N; two decimals. */
export function percentile(rank: number, total: number): number {
  return Math.round(((100 * (total - rank + 1)) / total) * 100) / 100;
}
