import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from '@rankstream/schemas';
import type { Logger } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FeedHub, FeedMessage, FeedSpec } from './feed-hub.js';

/** Bytes queued for a client that does not read before its socket is closed (1013, try again later). */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Close codes: the service is going away; the feed's board or period is gone; a server error. */
const CLOSE = { shutdown: 1001, gone: 1000, error: 1011 } as const;

/** A handshake not switched by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The one JSON error shape both APIs answer with. */
function errorJson(code: string, message: string): string {
  return JSON.stringify(errorBody(code, message));
}

/**
 * What is wrong with a handshake before the app sees it: only a GET upgrade to websocket, with a
 * key and version 13, on a /ws path (the app's other routes, an SSE stream among them, must never
 * run for one: nobody would read or end their answer).
 */
export function refusalOf(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  stopping: boolean,
): { status: number; code: string; message: string } | undefined {
  if (stopping) return { status: 503, code: 'shutting_down', message: 'this instance is stopping' };
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // A URL with credentials is refused by Request() later; refuse it here instead.
    if (/^\/\//.test(req.url ?? '')) throw new Error('not an origin-form target');
  } catch {
    return { status: 400, code: 'invalid_request', message: 'not a valid request target' };
  }
  if (req.method !== 'GET') return { status: 405, code: 'method_not_allowed', message: 'a handshake is a GET' };
  if (!path.endsWith('/ws') || req.headers.upgrade?.toLowerCase() !== 'websocket') {
    return { status: 400, code: 'invalid_request', message: 'only the /ws paths take an upgrade, to websocket' };
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key) || req.headers['sec-websocket-version'] !== '13') {
    return { status: 400, code: 'invalid_request', message: 'not a WebSocket handshake (key, version 13)' };
  }
  return undefined;
}

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

  function refuse(socket: Duplex, status: number, body: string, retryAfter: string | null = null): void {
    if (!socket.writable) return void socket.destroy();
    // Closed once written, as ws does: a client that never closes its side keeps nothing open.
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\n` +
        (retryAfter ? `Retry-After: ${retryAfter}\r\n` : '') +
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
        // Until it is switched, a handshake has a deadline (Node sets none on upgraded sockets).
        const deadline = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
        const refusal = refusalOf(req, stopping);
        if (refusal) {
          clearTimeout(deadline);
          return refuse(socket, refusal.status, errorJson(refusal.code, refusal.message));
        }
        const url = new URL(req.url ?? '/', 'http://localhost');
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const env: UpgradeEnv = { incoming: req, upgrade: true };
        Promise.resolve()
          .then(() => app.request(new URL(`${url.pathname}${url.search}`, 'http://localhost'), { headers }, env))
          .then(async (res) => {
            clearTimeout(deadline);
            const feed = accepted.get(req);
            if (feed && res.status === 204 && !stopping) {
              // ws checks the handshake's key and version again, and answers 400 itself.
              return wss.handleUpgrade(req, socket, head, (ws) => attach(ws, feed.spec, feed.kind));
            }
            if (stopping) return refuse(socket, 503, errorJson('shutting_down', 'this instance is stopping'));
            // Only the routes' JSON errors are passed on; any other answer is never read to its end.
            const json = res.headers.get('content-type')?.startsWith('application/json') ?? false;
            const body = json ? await res.text() : errorJson('internal', 'not a WebSocket feed');
            if (!json) await res.body?.cancel();
            refuse(socket, json ? res.status : 500, body, res.headers.get('retry-after'));
          })
          .catch((error) => {
            clearTimeout(deadline);
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
