import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { HttpError } from '@rankstream/schemas';
import type { AppDeps } from '../deps.js';
import { shapeUserBoards } from '../domain/answers.js';
import { errorResponses, periodQuery, userBoardsAnswer, userParams } from './api-schemas.js';
import { documentedGet } from './documented-get.js';
import { consistencyRequirements, consistentRead, jsonAnswer, setStoreHeaders } from './read-answer.js';

const QUARTER_HOUR_MS = 15 * 60_000;

export function userRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{userId}',
      tags: ['users'],
      summary: "A user's profile and standing on every board and current period where they have a score",
      request: { params: userParams, query: z.object({ after: periodQuery.after }) },
      responses: {
        200: { content: { 'application/json': { schema: userBoardsAnswer } }, description: 'the user' },
        400: errorResponses[400],
        404: { ...errorResponses[404], description: 'neither profile nor score' },
        429: errorResponses[429],
      },
    }),
    async (c, { params: { userId } }) => {
      const now = deps.now();
      const requirements = consistencyRequirements(c, deps.config.EVENTS_TOPIC);
      if (requirements.length > 0) await deps.schedules?.refreshNow();
      const schedules = deps.schedules?.all();
      const read = await consistentRead(deps, requirements, (r) => r.userBoards(userId, now, schedules));
      const body = shapeUserBoards(userId, read.served.value);
      if (!body) {
        setStoreHeaders(c, deps, read);
        throw new HttpError(404, 'user_not_found', `no profile and no score for user ${userId}`, [
          { path: 'userId', message: 'unknown user' },
        ]);
      }
      // Period boundaries fall on quarter hours in every zone in use, resets and seasons anywhen: the
      // answer's variant changes with both.
      const variant = `q${Math.floor(now / QUARTER_HOUR_MS)}s${deps.schedules?.version() ?? 0}`;
      return jsonAnswer(c, deps, read, body, variant);
    },
  );

  return app;
}
