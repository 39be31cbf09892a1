import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { AppDeps } from '../deps.js';
import { type Scope, shapeTop, shapeUserStream } from '../domain/answers.js';
import { watermarkEtag } from '../domain/etag.js';
import { projectionLagMs } from '../domain/projection-lag.js';
import type { StoreName, StoreState } from '../domain/read-model.js';
import { boardParams, boardUserParams, errorResponses, streamQuery, userStreamQuery } from './api-schemas.js';
import { checkBoard, requestScope } from './board-routes.js';
import { documentedGet } from './documented-get.js';

const sse = (description: string) => ({
  200: { content: { 'text/event-stream': { schema: { type: 'string' as const } } }, description },
  ...errorResponses,
});

/**
 * Pushes an answer whenever it changes. Each stream polls the store's watermark (one small read);
 * only when it moved (or the period rolled over) is the answer read again and compared with the
 * last one sent, and pushes are at least STREAM_MIN_INTERVAL_MS apart. A heartbeat event keeps
 * proxies from closing an idle stream.
 */
async function pushOnChange(
  deps: AppDeps,
  stream: SSEStreamingApi,
  event: string,
  scopeNow: () => Scope,
  readBody: (scope: Scope) => Promise<{ body: string } | undefined>,
): Promise<void> {
  const cfg = deps.config;
  let aborted = false;
  stream.onAbort(() => {
    aborted = true;
  });
  let lastMarker = '';
  let lastBody = '';
  let lastPush = Number.NEGATIVE_INFINITY;
  let lastWrite = deps.now();
  while (!aborted) {
    const scope = scopeNow();
    const state = await deps.reader.read((r) => r.state());
    const marker = `${state.servedBy}|${watermarkEtag(state.state.watermark, scope.periodKey)}`;
    if (marker !== lastMarker && deps.now() - lastPush >= cfg.STREAM_MIN_INTERVAL_MS) {
      const answer = await readBody(scope);
      if (!answer) {
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ code: 'board_not_found' }) });
        return;
      }
      if (answer.body !== lastBody) {
        await stream.writeSSE({ event, data: answer.body });
        lastBody = answer.body;
        lastPush = deps.now();
        lastWrite = lastPush;
      }
      lastMarker = marker;
    } else if (deps.now() - lastWrite >= cfg.STREAM_HEARTBEAT_MS) {
      await stream.writeSSE({ event: 'heartbeat', data: String(deps.now()) });
      lastWrite = deps.now();
    }
    await stream.sleep(cfg.STREAM_POLL_MS);
  }
}

function openStream(
  c: Context,
  deps: AppDeps,
  kind: 'top' | 'user',
  first: { servedBy: StoreName; state: StoreState },
  run: (stream: SSEStreamingApi) => Promise<void>,
): Response {
  c.set('servedBy', first.servedBy);
  c.header('X-Served-By', first.servedBy);
  c.header('X-Projection-Lag-Ms', String(projectionLagMs(first.state, deps.now())));
  c.header('Cache-Control', 'no-store');
  // Tells nginx-like proxies not to buffer the stream.
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    deps.metrics.streams.inc({ kind });
    try {
      await run(stream);
    } catch (error) {
      deps.logger.warn({ err: error }, 'stream ended by an error');
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ code: 'internal' }) }).catch(() => {});
    } finally {
      deps.metrics.streams.dec({ kind });
    }
  });
}

export function streamRoutes(deps: AppDeps) {
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
    async (c, { params: { board }, query: q }) => {
      const readTop = async (scope: Scope) => {
        const read = await deps.reader.read((r) => r.top(board, scope.periodKey, { offset: 0, limit: q.limit }));
        if (!read.value) return undefined;
        return {
          body: JSON.stringify(shapeTop(scope, checkBoard(scope, read.value))),
          servedBy: read.servedBy,
          state: read.state,
        };
      };
      const scopeNow = () => requestScope(deps, board, q);
      // An unknown board or period is refused with the JSON error before the stream starts.
      const first = await readTop(scopeNow());
      if (!first) checkBoard(scopeNow(), null);
      return openStream(c, deps, 'top', first!, (stream) => pushOnChange(deps, stream, 'top', scopeNow, readTop));
    },
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
    async (c, { params: { board, userId }, query: q }) => {
      const readRank = async (scope: Scope) => {
        const read = await deps.reader.read((r) => r.around(board, scope.periodKey, userId, q.radius));
        if (!read.value) return undefined;
        const body = JSON.stringify(shapeUserStream(scope, userId, checkBoard(scope, read.value)));
        return { body, servedBy: read.servedBy, state: read.state };
      };
      const scopeNow = () => requestScope(deps, board, q);
      const first = await readRank(scopeNow());
      if (!first) checkBoard(scopeNow(), null);
      return openStream(c, deps, 'user', first!, (stream) => pushOnChange(deps, stream, 'rank', scopeNow, readRank));
    },
  );

  return app;
}
