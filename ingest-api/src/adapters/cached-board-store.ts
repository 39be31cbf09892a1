import type { BoardDefinition } from '../domain/board-definition.js';
import type { BoardStore } from '../ports.js';

/**
 * Board definitions kept in memory for `ttlMs`, so a 1000-event batch does not query PostgreSQL per
 * board per request. A PUT through this instance takes effect for its next request; other instances
 * see it within `ttlMs`. Unknown boards are not cached, so a board created elsewhere is found at once.
 */
export function createCachedBoardStore(inner: BoardStore, options: { ttlMs: number; now: () => number }): BoardStore {
  const cache = new Map<string, { definition: BoardDefinition; until: number }>();
  const remember = (definition: BoardDefinition) => {
    if (options.ttlMs > 0) cache.set(definition.board, { definition, until: options.now() + options.ttlMs });
    return definition;
  };
  return {
    async get(board) {
      const hit = cache.get(board);
      if (hit && hit.until > options.now()) return hit.definition;
      cache.delete(board);
      const definition = await inner.get(board);
      return definition ? remember(definition) : undefined;
    },
    async createIfMissing(board) {
      return remember(await inner.createIfMissing(board));
    },
    async changeSchedule(board, request, send) {
      cache.delete(board);
      const outcome = await inner.changeSchedule(board, request, send);
      if (outcome) remember(outcome.definition);
      return outcome;
    },
    sendPending: (send) => inner.sendPending(send),
    async put(board, patch) {
      cache.delete(board);
      const outcome = await inner.put(board, patch);
      remember(outcome.definition);
      return outcome;
    },
  };
}
