import { OpenAPIHono } from '@hono/zod-openapi';
import {
  installErrorHandling,
  methodNotAllowed,
  mountApiDocs,
  mountHealth,
  mountMetrics,
} from '@rankstream/schemas/runtime';
import { cors } from 'hono/cors';
import { routePath } from 'hono/route';
import { boardScheduleRoutes } from './routes/board-schedule.js';
import { boardsRoutes } from './routes/boards.js';
import type { AppDeps } from './routes/deps.js';
import { eventsRoutes } from './routes/events.js';
import { moderationRoutes } from './routes/moderation.js';
import { documentRoutes } from './routes/openapi.js';
import { statusRoutes } from './routes/status.js';
import { usersRoutes } from './routes/users.js';

export type { AppDeps };

/** What holds across the routes, for the reference's front page (Markdown). */
const INGEST_API_NOTES = `The write side: score events, boards, seasons, profiles and moderation, published to Kafka. A 2xx to a request that publishes events comes only once Kafka acknowledged every one with acks=all; a 503 (with Retry-After) means not known to be published: retry with the same eventIds. Board definitions (PUT) are stored in PostgreSQL.

- **Keys:** \`Authorization: Bearer <key>\` (401 with \`WWW-Authenticate: Bearer\`). Scopes are separate: \`ingest\` posts events and writes users, \`admin\` writes boards, seasons and resets and moderates; either reads boards. \`GET /v1/status\` needs none.
- **Idempotency:** an eventId already accepted for the same user is a retry: 202 again, counted once (the first in log order wins) within \`DEDUP_WINDOW\` of log time. A server-assigned eventId is new each time, so send your own if you may retry.
- **Validation** is strict and all or nothing: a bad item refuses the whole request and nothing is published. The shape is checked first (a 400 naming every problem, \`events.3.value\`), then bans (403) and rates (429), then the board's rules (tie-break values, seasons; a 400 naming each item). No coercion; unknown fields are refused; \`occurredAt\` must be after 2000-01-01 and at most \`MAX_CLOCK_SKEW\` ahead.
- **Stamping:** each event carries the board's op, periods, calendar, limits and tie-break ops as defined when it is accepted, so a replay folds it as live did. An event for an undefined board creates it (\`desc\`, \`add\`, no periods) unless \`STRICT_BOARDS\`.
- **Limits:** 413 past \`MAX_BODY_BYTES\`; 429 with Retry-After past the key's rate (a user write costs one event, two with \`initialScore\`) or a board's per-player rate (\`player_rate_limited\`); 403 \`user_banned\` / \`user_erased\` naming each userId.
- **Users:** \`POST /v1/users\` assigns a UUIDv7 userId when none is given; 409 \`user_exists\` covers profiles this API published. \`PUT\` merges (null clears \`imageUrl\` or \`region\`; \`username\` is required for a new profile and cannot be cleared). A refused user write leaves nothing behind.`;

/** The whole HTTP surface; it does not listen (main.ts does, tests call app.request()). */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono();
  installErrorHandling(app, deps.logger);

  app.use('*', async (c, next) => {
    await next();
    const route = routePath(c, -1);
    deps.metrics.httpRequests.inc({
      route: route === '*' || route === '/*' ? 'unmatched' : route,
      method: c.req.method,
      status: String(c.res.status),
    });
  });

  // The dashboard, served by the query API, posts here from its own origin with a pasted key.
  const origins = deps.corsOrigins ?? ['*'];
  app.use(
    '/v1/*',
    cors({
      origin: origins.includes('*') ? '*' : [...origins],
      allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: ['Retry-After'],
      maxAge: 600,
    }),
  );

  app.route('/v1/events', eventsRoutes(deps));
  app.route('/v1/status', statusRoutes(deps));
  app.route('/v1/boards', boardsRoutes(deps));
  app.route('/v1/boards', boardScheduleRoutes(deps));
  // Before the users router, whose catch-all for /v1/users/:userId would answer DELETE with a 405.
  app.route('/v1', moderationRoutes(deps));
  app.route('/v1/users', usersRoutes(deps));

  documentRoutes(app);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Rankstream ingest API',
      version: '1',
      description: INGEST_API_NOTES,
    },
  });
  mountApiDocs(app, 'Rankstream ingest API');
  mountHealth(app, deps.readiness);
  mountMetrics(app, deps.metricsRegistry, deps.metricsText);
  for (const path of ['/v1/status', '/openapi.json', '/docs', '/healthz', '/readyz', '/metrics'])
    app.all(path, methodNotAllowed(['GET']));
  return app;
}
