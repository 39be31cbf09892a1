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
      description: QUERY_API_NOTES,
    },
  });
  mountApiDocs(app, 'Rankstream query API');
  app.route('/', dashboardRoutes(deps.dashboardDir, { ingestUrl: deps.config.DASHBOARD_INGEST_URL ?? null }));
  mountHealth(app, deps.readiness);
  mountMetrics(app, deps.registry, deps.metricsText);
  return app;
}

/** What holds across the routes, for the reference's front page (Markdown). */
const QUERY_API_NOTES = `Read-only leaderboards; no key, a rate limit per client address (429 with Retry-After).

- **Which store:** every /v1 board and user answer carries \`X-Served-By\` (\`redis\` or \`postgres\`, the same JSON either way) and \`X-Projection-Lag-Ms\`; errors answered before any read (400, 404 route, 405, 429) do not. PostgreSQL answers when Redis is down, slow, not ready, rebuilding, behind, or lacks the instance (\`not_kept\`) or the entries (\`beyond_top_k\`); \`/v1/status\` and the metrics count each reason.
- **Read your writes:** pass consistency tokens from the ingest API as \`?after=\` (repeatable) or \`X-Consistency-Token\` (comma-separated). The answer waits until the projection covers them, or answers with \`X-Consistency: stale\` and \`Cache-Control: no-store\`. A token for another topic, or not a token, is a 400.
- **Caching** of board and user answers: \`ETag\` from the projection's watermark and the instance read; \`If-None-Match\` gives a 304; \`Cache-Control: public, max-age=1\`.
- **Errors:** one shape, \`{"error": {"code", "message", "details": [{"path", "message"}]}}\`; codes \`invalid_request\` (details name the parameter), \`board_not_found\`, \`user_not_found\`, \`season_not_found\`, \`not_found\` (no such route), \`method_not_allowed\` (with \`Allow\`), \`upgrade_required\` (426), \`rate_limited\`, \`internal\` (500).
- **Pages:** \`cursor\` and \`offset\` together are a 400; a cursor continues after the last entry it gave, even if ranks above moved, and keeps its period instance (a daily cursor keeps its day past midnight); \`nextCursor\` is null on the last page. \`percentile\` = 100 × (total − rank + 1) / total, two decimals.
- **Periods:** keys name the instance read (\`daily:2026-11-23\`, \`weekly:2026-W48\` in ISO week-numbering years, \`monthly:2026-11\`, \`season:<id>\`, \`@<REGION>\` for a regional view) on the board's calendar, so a day is 23 or 25 hours across a daylight-saving change.
- **Live feeds** (SSE and WebSocket): the current answer first, then one on each change (at least \`STREAM_MIN_INTERVAL_MS\` apart) and heartbeats, also while no store can be read; an \`error\` event (\`board_not_found\`, \`invalid_request\`) ends a feed. A client that falls 64 events (SSE) or 1 MB (WebSocket, close 1013) behind is dropped. WebSocket closes: 1000 when a feed ends, 1011 after an internal error, 1001 at shutdown.
- **CORS:** GET, HEAD and OPTIONS from \`CORS_ORIGINS\`, exposing \`X-Served-By\`, \`X-Projection-Lag-Ms\`, \`ETag\`, \`X-Consistency\` and \`Retry-After\`.`;

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
