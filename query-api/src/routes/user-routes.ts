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
      const read = await consistentRead(deps, consistencyRequirements(c, deps.config.EVENTS_TOPIC), (r) =>
        r.userBoards(userId, now),
      );
      const body = shapeUserBoards(userId, read.served.value);
      if (!body) {
        setStoreHeaders(c, deps, read);
        throw new HttpError(404, 'user_not_found', `no profile and no score for user ${userId}`, [
          { path: 'userId', message: 'unknown user' },
        ]);
      }
      // Period boundaries fall on quarter hours in every zone in use: the answer's variant changes with them.
      return jsonAnswer(c, deps, read, body, `q${Math.floor(now / QUARTER_HOUR_MS)}`);
    },
  );

  return app;
}
