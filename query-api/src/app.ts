import { OpenAPIHono } from '@hono/zod-openapi';
import {
  installErrorHandling,
  methodNotAllowed,
  mountApiDocs,
  mountHealth,
  mountMetrics,
} from '@rankstream/schemas/runtime';
import type { AppDeps } from './deps.js';
import { createFeedHub, type FeedHub } from './live/feed-hub.js';
import { corsHeaders } from './middleware/cors-headers.js';
import { createRateLimiter, rateLimit } from './middleware/rate-limit.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { boardRoutes } from './routes/board-routes.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { seasonRoutes } from './routes/season-routes.js';
import { socketRoutes } from './routes/socket-routes.js';
import { statusRoutes } from './routes/status-routes.js';
import { streamRoutes } from './routes/stream-routes.js';
import { userRoutes } from './routes/user-routes.js';

/** Every GET path the API serves, for the 405 answers to other methods. */
const V1_PATHS = [
  '/v1/boards',
  '/v1/boards/:board/top',
  '/v1/boards/:board/users/:userId',
  '/v1/boards/:board/users/:userId/around',
  '/v1/boards/:board/users/:userId/stream',
  '/v1/boards/:board/ranks',
  '/v1/boards/:board/seasons',
  '/v1/boards/:board/stream',
  '/v1/boards/:board/ws',
  '/v1/boards/:board/users/:userId/ws',
  '/v1/users/:userId',
  '/v1/status',
];

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono();
  installErrorHandling(app, deps.logger);
  app.use('*', requestMetrics(deps.metrics));
  app.use(
    '/v1/*',
    corsHeaders({
      origins: deps.config.CORS_ORIGINS,
      allowMethods: ['GET', 'HEAD', 'OPTIONS'],
      allowHeaders: ['X-Consistency-Token', 'If-None-Match', 'Last-Event-ID'],
      exposeHeaders: ['ETag', 'X-Served-By', 'X-Projection-Lag-Ms', 'X-Consistency', 'Retry-After'],
      maxAgeSeconds: 600,
    }),
  );
  const perSecond = deps.config.QUERY_RATE_LIMIT_PER_S;
  const limiter = deps.rateLimiter === undefined ? createRateLimiter(perSecond, false) : deps.rateLimiter;
  app.use('/v1/*', rateLimit(limiter, perSecond, deps.clientAddress));

  // Streams first: /{board}/users/{userId}/stream must not be taken for a user named "stream".
  const hub = deps.feeds ?? feedHubOf(deps);
  app.route('/v1/boards', streamRoutes(deps, hub));
  if (deps.sockets) app.route('/v1/boards', socketRoutes(deps, deps.sockets));
  app.route('/v1/boards', boardRoutes(deps));
  app.route('/v1/boards', seasonRoutes(deps));
  app.route('/v1/users', userRoutes(deps));
  app.route('/v1/status', statusRoutes(deps, hub));
  for (const path of V1_PATHS) app.on(['POST', 'PUT', 'PATCH', 'DELETE'], path, methodNotAllowed(['GET']));

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Rankstream query API',
      version: '1.0.0',
      description:
        'Read-only leaderboards. Every /v1 answer that read a store carries X-Served-By (redis|postgres) and ' +
        'X-Projection-Lag-Ms; errors answered before any read (400 for a parameter, 404 route, 405, 429) do not; ' +
        'pass consistency tokens as ?after= or X-Consistency-Token to read your own writes.',
    },
  });
  mountApiDocs(app, 'Rankstream query API');
  app.route('/', dashboardRoutes(deps.dashboardDir, { ingestUrl: deps.config.DASHBOARD_INGEST_URL ?? null }));
  mountHealth(app, deps.readiness);
  mountMetrics(app, deps.registry, deps.metricsText);
  return app;
}

/** The live feeds' publishers, as the app's config and reader define them. */
export function feedHubOf(deps: AppDeps): FeedHub {
  return createFeedHub({
    readState: () => deps.reader.read((r) => r.state()),
    now: deps.now,
    logger: deps.logger,
    pollMs: deps.config.STREAM_POLL_MS,
    minIntervalMs: deps.config.STREAM_MIN_INTERVAL_MS,
    heartbeatMs: deps.config.STREAM_HEARTBEAT_MS,
    onFeeds: (open) => deps.metrics.feeds.set(open),
    onRead: () => deps.metrics.feedReads.inc(),
  });
}
