import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { AppDeps } from '../deps.js';
import { projectionLagMs } from '../domain/projection-lag.js';
import type { FeedHub, FeedMessage } from '../live/feed-hub.js';
import { boardParams, boardUserParams, errorResponses, streamQuery, userStreamQuery } from './api-schemas.js';
import { documentedGet } from './documented-get.js';
import { type OpenedFeed, topFeed, userFeed } from './live-feeds.js';

const sse = (description: string) => ({
  200: { content: { 'text/event-stream': { schema: { type: 'string' as const } } }, description },
  ...errorResponses,
});

/** Writes a client cannot take in (a stalled reader) before its stream is closed. */
const MAX_PENDING_WRITES = 64;

/** Streams a feed's messages until the client leaves or the feed ends. */
function streamFeed(c: Context, deps: AppDeps, hub: FeedHub, kind: 'top' | 'user', feed: OpenedFeed): Response {
  c.set('servedBy', feed.first.servedBy);
  c.header('X-Served-By', feed.first.servedBy);
  c.header('X-Projection-Lag-Ms', String(projectionLagMs(feed.first.state, deps.now())));
  c.header('Cache-Control', 'no-store');
  // Tells nginx-like proxies not to buffer the stream.
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream: SSEStreamingApi) => {
    deps.metrics.streams.inc({ kind });
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let pending = 0;
    let writes = Promise.resolve();
    const unsubscribe = hub.subscribe(feed.spec, {
      send(message: FeedMessage) {
        if (pending >= MAX_PENDING_WRITES) return finish();
        pending++;
        writes = writes
          .then(() => stream.writeSSE({ event: message.event, data: message.data }))
          .catch(() => finish())
          .finally(() => {
            pending--;
          });
      },
      end: () => {
        void writes.finally(finish);
      },
    });
    stream.onAbort(finish);
    try {
      await finished;
    } finally {
      unsubscribe();
      deps.metrics.streams.dec({ kind });
    }
  });
}

export function streamRoutes(deps: AppDeps, hub: FeedHub) {
  const app = new OpenAPIHono();

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/stream',
      tags: ['streams'],
      summary: 'Server-Sent Events: `top` events with the top N whenever it changes, and `heartbeat` events',
      request: { params: boardParams, query: streamQuery },
      responses: sse('event stream'),
    }),
    async (c, { params: { board }, query: q }) => streamFeed(c, deps, hub, 'top', await topFeed(deps, board, q)),
  );

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/users/{userId}/stream',
      tags: ['streams'],
      summary: "Server-Sent Events: `rank` events with the user's standing and neighbours whenever they change",
      request: { params: boardUserParams, query: userStreamQuery },
      responses: sse('event stream'),
    }),
    async (c, { params: { board, userId }, query: q }) =>
      streamFeed(c, deps, hub, 'user', await userFeed(deps, board, userId, q)),
  );

  return app;
}
