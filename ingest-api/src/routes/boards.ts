import { boardIdSchema, errorBody, HttpError, invalidRequest, issuesToDetails } from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import { Hono } from 'hono';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
import type { BoardDefinition, FixedSetting } from '../domain/board-definition.js';
import type { AppDeps } from './deps.js';
import { limitBody, parseBody, readJson } from './request-body.js';
import { boardPutSchema } from './request-schemas.js';

export function boardBody(d: BoardDefinition) {
  return {
    board: d.board,
    order: d.order,
    tiebreaks: d.tiebreaks,
    defaultOp: d.defaultOp,
    periods: d.periods,
    maxEventsPerMinute: d.maxEventsPerMinute,
    maxDelta: d.maxDelta,
    timeZone: d.timeZone,
    weekStartsOn: d.weekStartsOn,
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

function immutableBody(board: string, field: FixedSetting, current: BoardDefinition) {
  const must = field === 'tiebreaks' ? JSON.stringify(current.tiebreaks) : current[field];
  const detail = [{ path: field, message: `must be ${must}` }];
  if (field === 'tiebreaks') {
    const why = `board "${board}" ranks ties by ${must}; a board's tie-break columns cannot change (its stored rankings depend on them)`;
    return errorBody('tiebreaks_immutable', why, detail);
  }
  if (field === 'order') {
    const why = `board "${board}" is ${current.order}; a board's order cannot change (its stored rankings depend on it)`;
    return errorBody('order_immutable', why, detail);
  }
  const why = `board "${board}" has kept periods named by its calendar (${current.timeZone}, weeks from ${current.weekStartsOn}); the calendar is fixed from then on`;
  return errorBody('calendar_immutable', why, detail);
}

export function boardParam(raw: string): string {
  const parsed = boardIdSchema.safeParse(raw);
  if (!parsed.success) throw invalidRequest(issuesToDetails(parsed.error.issues, ['board']));
  return parsed.data;
}

export function boardsRoutes(deps: AppDeps) {
  const r = new Hono<{ Variables: AuthVariables }>();
  r.get('/:board', requireScope(deps.apiKeys, 'ingest', 'admin'), async (c) => {
    const board = boardParam(c.req.param('board'));
    const definition = await deps.boards.get(board);
    if (!definition) throw new HttpError(404, 'board_not_found', `no board "${board}"`);
    return c.json(boardBody(definition));
  });
  r.put('/:board', requireScope(deps.apiKeys, 'admin'), limitBody(deps.limits.maxBodyBytes), async (c) => {
    const board = boardParam(c.req.param('board'));
    const patch = parseBody(boardPutSchema, await readJson(c));
    const outcome = await deps.boards.put(board, patch);
    if (outcome.status === 'immutable') return c.json(immutableBody(board, outcome.field, outcome.definition), 409);
    deps.logger.info({ board, definition: boardBody(outcome.definition), status: outcome.status }, 'board defined');
    return c.json(boardBody(outcome.definition), outcome.status === 'created' ? 201 : 200);
  });
  r.all('/:board', methodNotAllowed(['GET', 'PUT']));
  return r;
}
