import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { HttpError } from '@rankstream/schemas';
import type { Context } from 'hono';
import type { AppDeps } from '../deps.js';
import type { SocketUpgrade } from '../live/socket-upgrade.js';
import { boardParams, boardUserParams, errorResponses, streamQuery, userStreamQuery } from './api-schemas.js';
import { documentedGet } from './documented-get.js';
import { type OpenedFeed, topFeed, userFeed } from './live-feeds.js';

const upgrade = (description: string) => ({
  101: { description },
  426: {
    description: 'not a WebSocket handshake',
    content: { 'application/json': { schema: { type: 'object' as const } } },
  },
  ...errorResponses,
});

/**
 * The same feeds as the SSE streams, for game engines whose HTTP stacks handle WebSocket better.
 * Each message is one JSON text frame, `{"event": "top"|"rank"|"heartbeat"|"error", "data": …}`,
 * with `data` exactly the SSE event's data. The client sends nothing.
 */
async function handshake(
  c: Context,
  sockets: SocketUpgrade,
  kind: 'top' | 'user',
  open: () => Promise<OpenedFeed>,
): Promise<Response> {
  if (!sockets.isHandshake(c)) {
    throw new HttpError(426, 'upgrade_required', 'this path takes a WebSocket handshake (Upgrade: websocket)');
  }
  // Refused before the switch, with the JSON error: an unknown board or period, a bad parameter.
  const feed = await open();
  c.set('servedBy', feed.first.servedBy);
  return sockets.accept(c, feed.spec, kind);
}

export function socketRoutes(deps: AppDeps, sockets: SocketUpgrade) {
  const app = new OpenAPIHono();

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/ws',
      tags: ['streams'],
      summary: 'WebSocket: the `top` and `heartbeat` messages of GET /{board}/stream, one JSON frame each',
      request: { params: boardParams, query: streamQuery },
      responses: upgrade('switched to WebSocket'),
    }),
    (c, { params: { board }, query: q }) => handshake(c, sockets, 'top', () => topFeed(deps, board, q)),
  );

  documentedGet(
    app,
    createRoute({
      method: 'get',
      path: '/{board}/users/{userId}/ws',
      tags: ['streams'],
      summary: 'WebSocket: the `rank` and `heartbeat` messages of GET /{board}/users/{userId}/stream',
      request: { params: boardUserParams, query: userStreamQuery },
      responses: upgrade('switched to WebSocket'),
    }),
    (c, { params: { board, userId }, query: q }) =>
      handshake(c, sockets, 'user', () => userFeed(deps, board, userId, q)),
  );

  return app;
}
