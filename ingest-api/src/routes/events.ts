import { invalidRequest } from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import { Hono } from 'hono';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
import { seasonProblem, tieBreakProblem } from '../domain/board-definition.js';
import { stampScoreEvent } from '../domain/score-requests.js';
import { resolveBoards } from './board-resolution.js';
import type { AppDeps } from './deps.js';
import { takePlayerLimits } from './player-limits.js';
import { publishEvents } from './publish-events.js';
import { takeRate } from './rate-limit.js';
import { refuseBanned } from './refuse-banned.js';
import { limitBody, readJson } from './request-body.js';
import { parseScoreRequest } from './score-request.js';

export function eventsRoutes(deps: AppDeps) {
  const r = new Hono<{ Variables: AuthVariables }>();
  r.post('/', requireScope(deps.apiKeys, 'ingest'), limitBody(deps.limits.maxBodyBytes), async (c) => {
    const { drafts, pathOf } = parseScoreRequest(await readJson(c), {
      now: deps.now(),
      maxClockSkewMs: deps.limits.maxClockSkewMs,
      newEventId: deps.newId,
    });
    await refuseBanned(
      deps,
      drafts.map((d, i) => ({ userId: d.userId, path: [...pathOf(i), 'userId'].join('.') })),
    );
    await takeRate(deps, c.get('apiKey'), drafts.length);
    // Tie-break values name a board's columns: for a board nobody defined, refuse before creating it.
    const named = [...new Set(drafts.filter((d) => d.tiebreaks.length > 0).map((d) => d.board))];
    const undefinedBoards = new Set(
      (await Promise.all(named.map(async (b) => ((await deps.boards.get(b)) ? undefined : b)))).filter(Boolean),
    );
    const unknown = drafts.flatMap((d, i) =>
      undefinedBoards.has(d.board)
        ? [{ path: [...pathOf(i), 'tiebreaks'].join('.'), message: `board ${d.board} has no tie-break columns` }]
        : [],
    );
    if (unknown.length > 0) throw invalidRequest(unknown);
    const boards = await resolveBoards(
      deps,
      drafts.map((d, i) => ({ board: d.board, path: [...pathOf(i), 'board'].join('.') })),
    );
    const misfits = drafts.flatMap((d, i) => {
      const board = boards.get(d.board)!;
      const columns = tieBreakProblem(d.board, board.tiebreaks.length, d.tiebreaks.length);
      const season = seasonProblem(d.board, board.schedule, d.occurredAt);
      return [
        ...(columns === undefined ? [] : [{ path: [...pathOf(i), 'tiebreaks'].join('.'), message: columns }]),
        ...(season === undefined ? [] : [{ path: [...pathOf(i), 'occurredAt'].join('.'), message: season }]),
      ];
    });
    if (misfits.length > 0) throw invalidRequest(misfits);
    const stamped = drafts.map((d) => stampScoreEvent(d, boards.get(d.board)!));
    const release = takePlayerLimits(deps, stamped, pathOf);
    try {
      return c.json(
        await publishEvents(
          deps,
          stamped.map((event) => ({ kind: 'score' as const, event })),
        ),
        202,
      );
    } catch (error) {
      release();
      throw error;
    }
  });
  r.all('/', methodNotAllowed(['POST']));
  return r;
}
