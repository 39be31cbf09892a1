import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { HttpError } from '@rankstream/schemas';
import type { Context } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import type { AppDeps } from '../deps.js';
import type { FeedHub, FeedMessage } from '../live/feed-hub.js';
import { boardParams, boardUserParams, errorResponses, streamQuery, userStreamQuery } from './api-schemas.js';
import { documentedGet } from './documented-get.js';
import { type OpenedFeed, topFeed, userFeed } from './live-feeds.js';

/** Bytes queued for a client that does not read before its socket is closed (1013, try again later). */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Close code for a feed that ended on the server's side (the board is gone, an error, shutdown). */
const FEED_ENDED = 1001;

/** The `ws` socket under Hono's context: it sends a Buffer as a text frame when told to. */
interface RawSocket {
  bufferedAmount: number;
  send(data: Buffer, options: { binary: boolean }): void;
}

/** Each message is framed (and UTF-8 encoded) once, however many sockets it goes to. */
const frames = new WeakMap<FeedMessage, Buffer>();
function frameOf(message: FeedMessage): Buffer {
  let frame = frames.get(message);
  if (frame === undefined) {
    frame = Buffer.from(`{"event":"${message.event}","data":${message.data}}`);
    frames.set(message, frame);
  }
  return frame;
}

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
function socketFeed(c: Context, deps: AppDeps, hub: FeedHub, upgradeWebSocket: UpgradeWebSocket, kind: 'top' | 'user') {
  return async (open: () => Promise<OpenedFeed>): Promise<Response> => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new HttpError(426, 'upgrade_required', 'this path takes a WebSocket handshake (Upgrade: websocket)');
    }
    // Refused before the handshake: the client sees the status (400, 404); a plain GET shows the JSON.
    const feed = await open();
    c.set('servedBy', feed.first.servedBy);
    let unsubscribe = () => {};
    const upgraded = await upgradeWebSocket(c, {
      onOpen: (_event, ws: WSContext) => {
        deps.metrics.sockets.inc({ kind });
        const raw = ws.raw as RawSocket;
        unsubscribe = hub.subscribe(feed.spec, {
          send(message: FeedMessage) {
            if (raw.bufferedAmount > MAX_BUFFERED_BYTES) return ws.close(1013, 'not reading');
            raw.send(frameOf(message), { binary: false });
          },
          end: () => ws.close(FEED_ENDED, 'feed ended'),
        });
      },
      onClose: () => {
        unsubscribe();
        deps.metrics.sockets.dec({ kind });
      },
    });
    return upgraded ?? new Response(null, { status: 500 });
  };
}

export function socketRoutes(deps: AppDeps, hub: FeedHub, upgradeWebSocket: UpgradeWebSocket) {
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
    (c, { params: { board }, query: q }) =>
      socketFeed(c, deps, hub, upgradeWebSocket, 'top')(() => topFeed(deps, board, q)),
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
      socketFeed(c, deps, hub, upgradeWebSocket, 'user')(() => userFeed(deps, board, userId, q)),
  );

  return app;
}
