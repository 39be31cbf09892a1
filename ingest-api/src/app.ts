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
      description: 'The write side: score events, boards and profiles, published to Kafka with acks=all.',
    },
  });
  mountApiDocs(app, 'Rankstream ingest API');
  mountHealth(app, deps.readiness);
  mountMetrics(app, deps.metricsRegistry, deps.metricsText);
  for (const path of ['/v1/status', '/openapi.json', '/docs', '/healthz', '/readyz', '/metrics'])
    app.all(path, methodNotAllowed(['GET']));
  return app;
}
