import { EMPTY_SCHEDULE, type ErrorDetail, HttpError } from '@rankstream/schemas';
import { BOARD_DEFAULTS, type BoardDefinition } from '../domain/board-definition.js';
import type { AppDeps } from './deps.js';

/**
 * The current definition of every board a request names. A board nobody defined yet is created with
 * the defaults, or refused (404, naming every item that uses it) under STRICT_BOARDS.
 */
export async function resolveBoards(
  deps: AppDeps,
  uses: readonly { board: string; path: string }[],
): Promise<Map<string, BoardDefinition>> {
  const { found, unknown } = await findBoards(deps, uses);
  for (const name of unknown) found.set(name, await deps.boards.createIfMissing(name));
  return found;
}

/**
 * As resolveBoards, but creating nothing: a board nobody defined yet gets the definition it will be
 * created with and is listed in `unknown`, for a caller that may still refuse the request to create
 * once the request is accepted.
 */
export async function findBoards(
  deps: AppDeps,
  uses: readonly { board: string; path: string }[],
): Promise<{ found: Map<string, BoardDefinition>; unknown: string[] }> {
  const found = new Map<string, BoardDefinition>();
  const unknown: string[] = [];
  const missing: ErrorDetail[] = [];
  for (const name of new Set(uses.map((u) => u.board))) {
    const existing = await deps.boards.get(name);
    if (existing) found.set(name, existing);
    else if (!deps.limits.strictBoards) {
      found.set(name, { board: name, ...BOARD_DEFAULTS, schedule: EMPTY_SCHEDULE, createdAt: deps.now() });
      unknown.push(name);
    } else {
      for (const u of uses) if (u.board === name) missing.push({ path: u.path, message: `no board "${name}"` });
    }
  }
  if (missing.length) {
    throw new HttpError(
      404,
      'board_not_found',
      'unknown board (STRICT_BOARDS is on: define it with PUT /v1/boards/:board)',
      missing,
    );
  }
  return { found, unknown };
}
