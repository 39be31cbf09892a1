import { HttpError, invalidRequest, type ScoreEvent } from '@rankstream/schemas';
import type { AppDeps } from './deps.js';

/**
 * The board's per-player limits, stamped on the events: an add whose value passes maxDelta is a 400
 * naming it; a player past maxEventsPerMinute a 429 with Retry-After naming the userId. All or
 * nothing. Returns the release of the minute counts, for a request that then fails to publish. (A
 * set, max or min event's change depends on the stored total: the projector alone can check it.)
 */
export function takePlayerLimits(
  deps: AppDeps,
  events: readonly ScoreEvent[],
  pathOf: (i: number) => (string | number)[],
): () => void {
  const tooLarge = events.flatMap((e, i) => {
    const max = e.limits?.maxDelta ?? null;
    if (max === null || e.op !== 'add' || Math.abs(e.value) <= max) return [];
    return [{ path: [...pathOf(i), 'value'].join('.'), message: `board ${e.board} allows a change of at most ${max}` }];
  });
  if (tooLarge.length > 0) throw invalidRequest(tooLarge);
  const decision = deps.playerMinutes.take(
    events.map((e) => ({ board: e.board, userId: e.userId, perMinute: e.limits?.maxEventsPerMinute ?? null })),
    deps.now(),
  );
  if (decision.allowed) return decision.release;
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new HttpError(
    429,
    'player_rate_limited',
    `a player is over the board's events per minute; retry in ${seconds} s`,
    decision.refused.map((i) => ({
      path: [...pathOf(i), 'userId'].join('.'),
      message: `more than ${events[i]?.limits?.maxEventsPerMinute} events on board ${events[i]?.board} this minute`,
    })),
    { 'Retry-After': String(seconds) },
  );
}
