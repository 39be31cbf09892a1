import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import {
  ALL_TIME,
  currentOrLastSeason,
  EMPTY_SCHEDULE,
  globalKeyOf,
  HttpError,
  invalidRequest,
  regionalKey,
  regionOfKey,
  SEASON_PERIOD,
  seasonKey,
} from '@rankstream/schemas';
import type { Context } from 'hono';
import type { AppDeps } from '../deps.js';
import { type Scope, shapeAround, shapeBoards, shapeRanks, shapeTop, shapeUser } from '../domain/answers.js';
import { decodeCursor } from '../domain/cursor.js';
import {
  boardKeepsPeriod,
  parseAt,
  periodOfKey,
  type ReadPeriod,
  selectPeriodKey,
} from '../domain/period-selection.js';
import type { BoardDef, RankingReader, StoreRead, TopPage } from '../domain/read-model.js';
import {
  aroundAnswer,
  aroundQuery,
  boardParams,
  boardsAnswer,
  boardUserParams,
  errorResponses,
  plainPeriodQuery,
  ranksAnswer,
  ranksQuery,
  topAnswer,
  topQuery,
  userAnswer,
} from './api-schemas.js';
import { documentedGet, queryValuesOf } from './documented-get.js';
import {
  answerText,
  boardNotFound,
  cachedAnswer,
  consistencyRequirements,
  consistentRead,
  jsonAnswer,
  periodNotKept,
  rememberAnswer,
  setStoreHeaders,
  storeAnswer,
} from './read-answer.js';

const json = (schema: z.ZodType, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const tags = ['boards'];

/** What a read names: a period, perhaps a day in it (`at`) or a season (`season`). */
export interface PeriodChoice {
  period: ReadPeriod;
  at?: string | undefined;
  season?: string | undefined;
  /** A regional view (upper case). */
  region?: string | undefined;
}

/**
 * The scope of a board read: its instance named on the board's calendar as last read and by its
 * schedule (resets, seasons). `period=season` reads the season named, or else the one in progress
 * (the last one ended, between seasons).
 */
export function requestScope(deps: AppDeps, board: string, query: PeriodChoice): Scope {
  const scope = globalScope(deps, board, query);
  if (query.region === undefined) return scope;
  return { ...scope, periodKey: regionalKey(scope.periodKey, query.region), region: query.region };
}

function globalScope(deps: AppDeps, board: string, query: PeriodChoice): Scope {
  if (query.season !== undefined && query.period !== SEASON_PERIOD) {
    throw invalidRequest([{ path: 'season', message: 'only applies with period=season' }]);
  }
  if (query.period === ALL_TIME) return { board, period: ALL_TIME, periodKey: ALL_TIME, calendar: null };
  const schedule = deps.schedules?.of(board) ?? EMPTY_SCHEDULE;
  if (query.period === SEASON_PERIOD) {
    if (query.at !== undefined)
      throw invalidRequest([{ path: 'at', message: 'does not apply to seasons: name one with season' }]);
    const seasonId = query.season ?? currentOrLastSeason(schedule, deps.now())?.seasonId;
    if (seasonId === undefined || !schedule.seasons.some((s) => s.seasonId === seasonId)) {
      throw seasonNotFound(board, query.season);
    }
    return { board, period: SEASON_PERIOD, periodKey: seasonKey(seasonId), calendar: null };
  }
  const calendar = deps.calendars.of(board);
  const at = query.at === undefined ? undefined : parseAt(query.at);
  const periodKey = selectPeriodKey(query.period, at, deps.now(), calendar, schedule);
  return { board, period: query.period, periodKey, calendar, at };
}

export function seasonNotFound(board: string, seasonId: string | undefined): HttpError {
  return seasonId === undefined
    ? new HttpError(404, 'season_not_found', `board ${board} has no season yet`, [
        { path: 'period', message: 'the board has no season' },
      ])
    : new HttpError(404, 'season_not_found', `board ${board} has no season "${seasonId}"`, [
        { path: 'season', message: 'no such season' },
      ]);
}

/**
 * Whether the read's board definition names the scope's period as the scope did: its calendar is the
 * one used, or another that gives the same key. The board's calendar is learnt either way.
 */
export function namedRightly(deps: AppDeps, scope: Scope, value: { def: BoardDef } | null): boolean {
  if (value === null || scope.calendar === null) return true;
  if (deps.calendars.confirm(scope.board, scope.calendar, value.def)) return true;
  if (scope.period === ALL_TIME || scope.period === SEASON_PERIOD) return true;
  const schedule = deps.schedules?.of(scope.board) ?? EMPTY_SCHEDULE;
  return selectPeriodKey(scope.period, scope.at, deps.now(), value.def, schedule) === globalKeyOf(scope.periodKey);
}

/** The check that the board exists and keeps that period. */
export function checkBoard<T extends { def: BoardDef }>(scope: Scope, value: T | null): T {
  if (!value) throw boardNotFound(scope.board);
  if (!boardKeepsPeriod(value.def.periods, scope.period)) throw periodNotKept(scope.board, scope.period);
  return value;
}

/**
 * The path of every per-board read: name the scope, read (waiting for the request's consistency
 * tokens), read again once if the board's calendar names another period, set the store headers,
 * check the board and its period, shape the answer, and send it with its cache headers. With a
 * `cacheKey` the answer is kept per state version and served from memory while that version is current.
 */
async function answerBoardRead<T extends { def: BoardDef }>(
  c: Context,
  deps: AppDeps,
  scopeNow: () => Scope,
  op: (reader: RankingReader, scope: Scope) => Promise<StoreRead<T | null>>,
  shape: (scope: Scope, value: T) => object,
  cacheKeyOf?: (scope: Scope) => string,
): Promise<Response> {
  const requirements = consistencyRequirements(c, deps.config.EVENTS_TOPIC);
  // A read after a write sees the board's latest seasons and resets too.
  if (requirements.length > 0) await deps.schedules?.refreshNow();
  let scope = await scopeKnowingSeasons(deps, scopeNow);
  const cacheKey = cacheKeyOf?.(scope);
  const hit = cacheKey === undefined ? undefined : cachedAnswer(c, deps, cacheKey, scope.periodKey, requirements);
  if (hit) return hit;
  let read = await consistentRead(deps, requirements, (r) => op(r, scope));
  if (!namedRightly(deps, scope, read.served.value)) {
    scope = scopeNow();
    read = await consistentRead(deps, requirements, (r) => op(r, scope));
  }
  let body: object;
  try {
    body = shape(scope, checkBoard(scope, read.served.value));
  } catch (error) {
    // A 404 or 400 found in the data still names the store that was read.
    setStoreHeaders(c, deps, read);
    throw error;
  }
  const answer = answerText(read, body, scope.periodKey);
  const finalKey = cacheKeyOf?.(scope);
  if (finalKey !== undefined) rememberAnswer(deps, finalKey, read, answer);
  return storeAnswer(c, deps, read, answer);
}

/** The scope; a season not known yet is looked for once more in the schedules as they are now. */
export async function scopeKnowingSeasons(deps: AppDeps, scopeNow: () => Scope): Promise<Scope> {
  try {
    return scopeNow();
  } catch (error) {
    if (!(error instanceof HttpError && error.code === 'season_not_found') || !deps.schedules) throw error;
    await deps.schedules.refreshNow();
    return scopeNow();
  }
}

/** A user's answer, or the 404 for a user without a score on this board and period. */
function rankedOr404<B>(body: B | undefined, scope: Scope, userId: string): B {
  if (body === undefined) throw userNotRanked(scope.board, scope.periodKey, userId);
  return body;
}

export function boardRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const topic = deps.config.EVENTS_TOPIC;

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'Every board with its order, periods and number of players (all-time)',
      request: { query: plainPeriodQuery.pick({ after: true }) },
      responses: { 200: json(boardsAnswer, 'the boards'), 429: errorResponses[429] },
    }),
    async (c) => {
      const read = await consistentRead(deps, consistencyRequirements(c, topic), (r) => r.boards());
      const body = shapeBoards(read.served.value);
      const variant = `boards:${JSON.stringify(body.boards.map((b) => [b.board, b.periods]))}`;
      return jsonAnswer(c, deps, read, body, variant);
    },
  );

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/top',
      tags,
      summary: 'The top of a board, by offset or cursor',
      request: { params: boardParams, query: topQuery },
      responses: { 200: json(topAnswer, 'a page of the ranking'), ...errorResponses },
    }),
    async (c, { params: { board }, query: q }) => {
      const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      let page: TopPage = { offset: q.offset, limit: q.limit };
      if (q.cursor !== undefined && !cursor) {
        throw invalidRequest([{ path: 'cursor', message: 'is not a cursor from this API' }]);
      }
      // Built only when thrown: an Error captures a stack, which cost ~5 % of a cached top page.
      const otherPeriod = () => invalidRequest([{ path: 'cursor', message: 'belongs to another period' }]);
      if (cursor) {
        if (queryValuesOf(c, 'offset').length > 0) {
          throw invalidRequest([{ path: 'offset', message: 'cannot be combined with cursor' }]);
        }
        if (periodOfKey(cursor.periodKey) !== q.period) throw otherPeriod();
        if (q.season !== undefined && globalKeyOf(cursor.periodKey) !== seasonKey(q.season)) throw otherPeriod();
        if (regionOfKey(cursor.periodKey) !== (q.region ?? null)) throw otherPeriod();
        page = { after: cursor.after, limit: q.limit };
      }
      // The cursor's own period key: a daily page keeps paging the same day across midnight.
      const scopeNow = (): Scope =>
        cursor
          ? { board, period: q.period, periodKey: cursor.periodKey, calendar: null, region: q.region }
          : requestScope(deps, board, q);
      return answerBoardRead(
        c,
        deps,
        scopeNow,
        (r, scope) => r.top(board, scope.periodKey, page, q.details),
        (scope, value) => {
          // `at` with a cursor must name the cursor's period, on the board's calendar as just read.
          const at = q.at === undefined ? undefined : parseAt(q.at);
          if (
            cursor &&
            at !== undefined &&
            q.period !== ALL_TIME &&
            q.period !== SEASON_PERIOD &&
            globalKeyOf(cursor.periodKey) !== selectPeriodKey(q.period, at, 0, value.def, deps.schedules?.of(board))
          ) {
            throw otherPeriod();
          }
          return shapeTop(scope, value);
        },
        // `at` is in the key: with a cursor, the answer depends on whether `at` names the cursor's period.
        (scope) =>
          JSON.stringify([
            'top',
            board,
            scope.period,
            scope.periodKey,
            page,
            q.details,
            q.at ?? null,
            q.season ?? null,
          ]),
      );
    },
  );

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/users/{userId}',
      tags,
      summary: "A user's rank, score and percentile",
      request: { params: boardUserParams, query: plainPeriodQuery },
      responses: { 200: json(userAnswer, 'the standing'), ...errorResponses },
    }),
    async (c, { params: { board, userId }, query: q }) => {
      return answerBoardRead(
        c,
        deps,
        () => requestScope(deps, board, q),
        (r, scope) => r.user(board, scope.periodKey, userId, q.details),
        (scope, value) => rankedOr404(shapeUser(scope, value), scope, userId),
      );
    },
  );

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/users/{userId}/around',
      tags,
      summary: 'A user and up to radius entries above and below',
      request: { params: boardUserParams, query: aroundQuery },
      responses: { 200: json(aroundAnswer, 'the neighbourhood'), ...errorResponses },
    }),
    async (c, { params: { board, userId }, query: q }) => {
      return answerBoardRead(
        c,
        deps,
        () => requestScope(deps, board, q),
        (r, scope) => r.around(board, scope.periodKey, userId, q.radius, q.details),
        (scope, value) => rankedOr404(shapeAround(scope, value), scope, userId),
      );
    },
  );

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/ranks',
      tags,
      summary: "Several users' entries with their global ranks (a friends' leaderboard)",
      request: { params: boardParams, query: ranksQuery },
      responses: { 200: json(ranksAnswer, 'the entries found, in ranking order'), ...errorResponses },
    }),
    async (c, { params: { board }, query: q }) => {
      return answerBoardRead(
        c,
        deps,
        () => requestScope(deps, board, q),
        (r, scope) => r.ranks(board, scope.periodKey, q.userIds, q.details),
        (scope, value) => shapeRanks(scope, value, q.userIds),
      );
    },
  );

  return app;
}

export function userNotRanked(board: string, periodKey: string, userId: string): HttpError {
  return new HttpError(404, 'user_not_found', `user ${userId} has no score on ${board} (${periodKey})`, [
    { path: 'userId', message: 'no score on this board and period' },
  ]);
}
