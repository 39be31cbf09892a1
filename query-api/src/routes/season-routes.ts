import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { EMPTY_SCHEDULE, SEASON_PERIOD, seasonKey, seasonStatus } from '@rankstream/schemas';
import type { AppDeps } from '../deps.js';
import { type Scope, shapeTop } from '../domain/answers.js';
import { boardParams, entryAnswer, errorResponses } from './api-schemas.js';
import { checkBoard } from './board-routes.js';
import { documentedGet } from './documented-get.js';
import { type ConsistentRead, consistencyRequirements, consistentRead, jsonAnswer } from './read-answer.js';

const iso = (ms: number) => new Date(ms).toISOString();

export const seasonsAnswer = z
  .object({
    board: z.string(),
    seasons: z.array(
      z.object({
        seasonId: z.string(),
        startsAt: z.string().openapi({ format: 'date-time' }),
        endsAt: z.string().openapi({ format: 'date-time', description: 'not included; a reset moves it earlier' }),
        status: z.enum(['upcoming', 'current', 'ended']),
        players: z.number().int(),
        top: entryAnswer.nullable().openapi({ description: 'the leader, or null while nobody has scored' }),
      }),
    ),
    resets: z.array(z.string().openapi({ format: 'date-time' })),
  })
  .openapi('Seasons');

/** GET /v1/boards/{board}/seasons: each season with its players and leader, from either store. */
export function seasonRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/seasons',
      tags: ['boards'],
      summary: "A board's seasons (oldest first) with their player counts and leaders, and its resets",
      request: { params: boardParams },
      responses: {
        200: { content: { 'application/json': { schema: seasonsAnswer } }, description: 'the seasons' },
        ...errorResponses,
      },
    }),
    async (c, { params: { board } }) => {
      const requirements = consistencyRequirements(c, deps.config.EVENTS_TOPIC);
      if (requirements.length > 0) await deps.schedules?.refreshNow();
      const schedule = deps.schedules?.of(board) ?? EMPTY_SCHEDULE;
      const now = deps.now();
      const top1 = { offset: 0, limit: 1 };
      const seasons = [];
      let last: ConsistentRead<unknown> | undefined;
      for (const season of schedule.seasons) {
        const scope: Scope = { board, period: SEASON_PERIOD, periodKey: seasonKey(season.seasonId), calendar: null };
        const read = await consistentRead(deps, requirements, (r) => r.top(board, scope.periodKey, top1, false));
        const page = shapeTop(scope, checkBoard(scope, read.served.value));
        last = read;
        seasons.push({
          seasonId: season.seasonId,
          startsAt: iso(season.startsAt),
          endsAt: iso(season.endsAt),
          status: seasonStatus(season, now),
          players: page.total,
          top: page.entries[0] ?? null,
        });
      }
      if (last === undefined) {
        // No seasons: the board must still exist for a 200.
        const scope: Scope = { board, period: 'all', periodKey: 'all', calendar: null };
        last = await consistentRead(deps, requirements, (r) => r.top(board, 'all', { offset: 0, limit: 0 }, false));
        checkBoard(scope, (last as ConsistentRead<Parameters<typeof checkBoard>[1]>).served.value);
      }
      const body = { board, seasons, resets: schedule.resets.map(iso) };
      return jsonAnswer(c, deps, last, body, `seasons:${JSON.stringify(body)}`);
    },
  );
  return app;
}
