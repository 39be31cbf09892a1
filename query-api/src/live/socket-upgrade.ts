import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FeedHub, FeedMessage, FeedSpec } from './feed-hub.js';

/** Bytes queued for a client that does not read before its socket is closed (1013, try again later). */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Close codes: the service is going away; the feed's board or period is gone; a server error. */
const CLOSE = { shutdown: 1001, gone: 1000, error: 1011 } as const;

/** The Node server, as far as handshakes go. */
interface UpgradeSource {
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

/** The env a route sees for a WebSocket handshake (a plain GET has node-server's own env). */
interface UpgradeEnv {
  incoming: IncomingMessage;
  upgrade: true;
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

/**
 * WebSocket handshakes for the live feeds, on the server's `upgrade` event. Each handshake first
 * runs through the app as a GET (its route validates, reads the feed's first answer, and accepts);
 * only then is the protocol switched. What the app answered otherwise (400, 404, 426, 429) goes
 * back as a plain HTTP answer with its JSON body. A handshake that fails or is abandoned leaves
 * nothing behind: the accepted feed is held against the request object, weakly.
 */
export function createSocketUpgrade(deps: {
  hub: FeedHub;
  logger: Logger;
  onOpen(kind: string): void;
  onClose(kind: string): void;
}) {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: 4096 });
  const accepted = new WeakMap<IncomingMessage, { spec: FeedSpec; kind: string }>();
  let stopping = false;

  function attach(ws: WebSocket, spec: FeedSpec, kind: string): void {
    deps.onOpen(kind);
    const unsubscribe = deps.hub.subscribe(spec, {
      send(message) {
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.close(1013, 'not reading');
        ws.send(frameOf(message), { binary: false });
      },
      end: (why) => ws.close(CLOSE[why], why === 'shutdown' ? 'going away' : `feed ended (${why})`),
    });
    ws.on('close', () => {
      unsubscribe();
      deps.onClose(kind);
    });
    ws.on('error', (error) => deps.logger.debug({ err: error }, 'WebSocket error'));
    // The client sends nothing; anything it sends is ignored.
  }

  function refuse(socket: Duplex, status: number, body: string): void {
    if (!socket.writable) return void socket.destroy();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  return {
    /** For a route: whether this request is a WebSocket handshake (else it answers 426). */
    isHandshake(c: Context): boolean {
      return (c.env as Partial<UpgradeEnv> | undefined)?.upgrade === true;
    },

    /** For a route: switch this handshake to the feed once the app has answered. */
    accept(c: Context, spec: FeedSpec, kind: string): Response {
      accepted.set((c.env as UpgradeEnv).incoming, { spec, kind });
      return new Response(null, { status: 204 });
    },

    /** Listens for handshakes on the server the app runs on. */
    install(
      server: UpgradeSource,
      app: { request(input: URL, init: RequestInit, env: UpgradeEnv): Response | Promise<Response> },
    ): void {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on('error', () => socket.destroy());
        if (stopping) {
          return refuse(socket, 503, '{"error":{"code":"shutting_down","message":"this instance is stopping"}}');
        }
        // Only the feeds' /ws paths take an upgrade; the app's other routes (an SSE stream among them)
        // must never run for one, as nobody would read or end their answer.
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (!path.endsWith('/ws') || req.headers.upgrade?.toLowerCase() !== 'websocket') {
          return refuse(
            socket,
            400,
            '{"error":{"code":"invalid_request","message":"only the /ws paths take an upgrade, to websocket"}}',
          );
        }
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const env: UpgradeEnv = { incoming: req, upgrade: true };
        Promise.resolve(app.request(new URL(req.url ?? '/', 'http://localhost'), { headers }, env))
          .then(async (res) => {
            const feed = accepted.get(req);
            if (!feed || res.status !== 204) return refuse(socket, res.status, await res.text());
            if (stopping) return refuse(socket, 503, '{"error":{"code":"shutting_down","message":"stopping"}}');
            // ws answers a bad handshake (key, version) with 400 itself.
            wss.handleUpgrade(req, socket, head, (ws) => attach(ws, feed.spec, feed.kind));
          })
          .catch((error) => {
            deps.logger.warn({ err: error }, 'WebSocket handshake failed');
            socket.destroy();
          });
      });
    },

    /** Refuses new handshakes; the hub's stop closes the open sockets. */
    stop(): void {
      stopping = true;
    },
  };
}

export type SocketUpgrade = ReturnType<typeof createSocketUpgrade>;
