import { invalidRequest } from '@rankstream/schemas';
import { methodNotAllowed } from '@rankstream/schemas/runtime';
import { Hono } from 'hono';
import { type AuthVariables, requireScope } from '../auth/require-scope.js';
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
    const boards = await resolveBoards(
      deps,
      drafts.map((d, i) => ({ board: d.board, path: [...pathOf(i), 'board'].join('.') })),
    );
    const tooMany = drafts.flatMap((d, i) => {
      const columns = boards.get(d.board)!.tiebreaks.length;
      if (d.tiebreaks.length <= columns) return [];
      const message = `board ${d.board} has ${columns} tie-break column${columns === 1 ? '' : 's'}`;
      return [{ path: [...pathOf(i), 'tiebreaks'].join('.'), message }];
    });
    if (tooMany.length > 0) throw invalidRequest(tooMany);
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
