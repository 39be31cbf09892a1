import {
  errorBody,
  HttpError,
  invalidRequest,
  type ScheduleChange,
  type ScheduleConflict,
  type Season,
  seasonAt,
  seasonStatus,
} from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
import type { BoardDefinition } from '../domain/board-definition.js';
import { toEpochMs } from '../domain/score-requests.js';
import type { BoardEventSender } from '../ports.js';
import { boardParam } from './boards.js';
import type { AppDeps } from './deps.js';
import { publishEvents } from './publish-events.js';
import { limitBody, parseBody, readJson, readOptionalJson } from './request-body.js';
import { resetPostSchema, seasonPostSchema } from './request-schemas.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seasonFields(s: Season) {
  return { seasonId: s.seasonId, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt) };
}

/** The 400 for a season that does not fit the board's schedule; `overlapPath` names the request's field an overlap is about. */
function conflictBody(board: string, conflict: ScheduleConflict, overlapPath: string) {
  const other = seasonFields(conflict.season);
  if (conflict.reason === 'season_exists') {
    const why = `board "${board}" has season "${other.seasonId}" from ${other.startsAt} to ${other.endsAt}; a season's interval cannot change`;
    return errorBody('season_exists', why, [{ path: 'seasonId', message: 'names a season with another interval' }]);
  }
  const why = `the season would overlap season "${other.seasonId}" (${other.startsAt} to ${other.endsAt}); seasons of a board never overlap`;
  return errorBody('season_overlaps', why, [{ path: overlapPath, message: `overlaps season ${other.seasonId}` }]);
}

/** Logs a board event to every partition through the publisher, as any write is logged. */
export function sendBoardEvent(deps: AppDeps): BoardEventSender {
  return async (event) => (await publishEvents(deps, [{ kind: 'board', event }])).consistencyToken;
}

/**
 * Seasons and resets: each is a board event logged to every partition (the projector folds it where
 * each partition's events meet it) before it is recorded here, where events are judged by it.
 */
export function boardScheduleRoutes(deps: AppDeps) {
  const r = new Hono<{ Variables: AuthVariables }>();
  const admin = requireScope(deps.apiKeys, 'admin');

  async function definitionOf(board: string): Promise<BoardDefinition> {
    const definition = await deps.boards.get(board);
    if (!definition)
      throw new HttpError(404, 'board_not_found', `no board "${board}": define it with PUT /v1/boards/:board`);
    return definition;
  }

  /** Logs and records the change (throwing the 404, or 503 with the change kept to be sent again). */
  async function change(c: Context<{ Variables: AuthVariables }>, board: string, change: ScheduleChange) {
    const request = { change, eventId: deps.newId(), actor: c.get('apiKey').name, now: deps.now() };
    const outcome = await deps.boards.changeSchedule(board, request, sendBoardEvent(deps));
    if (outcome === undefined) throw new HttpError(404, 'board_not_found', `no board "${board}"`);
    return outcome;
  }

  r.get('/:board/seasons', requireScope(deps.apiKeys, 'ingest', 'admin'), async (c) => {
    const board = boardParam(c.req.param('board'));
    const { schedule } = await definitionOf(board);
    const now = deps.now();
    return c.json({
      board,
      seasons: schedule.seasons.map((s) => ({ ...seasonFields(s), status: seasonStatus(s, now) })),
      resets: schedule.resets.map(iso),
    });
  });

  r.post('/:board/seasons', admin, limitBody(deps.limits.maxBodyBytes), async (c) => {
    const board = boardParam(c.req.param('board'));
    const body = parseBody(seasonPostSchema, await readJson(c));
    const season = { seasonId: body.seasonId, startsAt: toEpochMs(body.startsAt), endsAt: toEpochMs(body.endsAt) };
    const now = deps.now();
    const problems = [];
    if (season.endsAt <= season.startsAt) problems.push({ path: 'endsAt', message: 'must be after startsAt' });
    else if (season.endsAt <= now) problems.push({ path: 'endsAt', message: 'must be in the future' });
    if (problems.length > 0) throw invalidRequest(problems);
    await definitionOf(board);
    const outcome = await change(c, board, { action: 'season', season });
    if (!outcome.ok) return c.json(conflictBody(board, outcome.conflict, 'startsAt'), 400);
    deps.logger.info({ board, season: seasonFields(season), actor: c.get('apiKey').name }, 'season defined');
    const answer = { board, ...seasonFields(season), status: seasonStatus(season, now) };
    const { token } = outcome;
    return c.json(
      token === undefined ? answer : { ...answer, consistencyToken: token },
      token === undefined ? 200 : 201,
    );
  });

  r.post('/:board/reset', admin, limitBody(deps.limits.maxBodyBytes), async (c) => {
    const board = boardParam(c.req.param('board'));
    const body = parseBody(resetPostSchema, await readOptionalJson(c));
    if ((body.seasonId === undefined) !== (body.endsAt === undefined)) {
      throw invalidRequest([
        { path: body.seasonId === undefined ? 'seasonId' : 'endsAt', message: 'give seasonId and endsAt together' },
      ]);
    }
    const at = deps.now();
    const next =
      body.seasonId === undefined || body.endsAt === undefined
        ? null
        : { seasonId: body.seasonId, startsAt: at, endsAt: toEpochMs(body.endsAt) };
    if (next !== null && next.endsAt <= at)
      throw invalidRequest([{ path: 'endsAt', message: 'must be in the future' }]);
    const outcome = await change(c, board, { action: 'reset', at, next });
    if (!outcome.ok) return c.json(conflictBody(board, outcome.conflict, 'seasonId'), 400);
    if (outcome.change.action !== 'reset') throw new Error('a reset was logged as another change');
    const logged = outcome.change;
    const ended = seasonAt(outcome.before, logged.at);
    deps.logger.info({ board, resetAt: iso(logged.at), endedSeason: ended?.seasonId ?? null, next }, 'board reset');
    return c.json({
      board,
      resetAt: iso(logged.at),
      endedSeason: ended?.seasonId ?? null,
      startedSeason: logged.next === null ? null : seasonFields(logged.next),
      consistencyToken: outcome.token ?? '',
    });
  });

  r.all('/:board/seasons', methodNotAllowed(['GET', 'POST']));
  r.all('/:board/reset', methodNotAllowed(['POST']));
  return r;
}
