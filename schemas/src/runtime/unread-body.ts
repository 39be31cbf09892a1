import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The most of a body left unread by an early answer that is still read and thrown away to keep the
 * connection. Four times the ingest API's default MAX_BODY_BYTES: a client that overshoots the cap
 * keeps its connection, one that sends far more loses it instead of costing the server its upload.
 */
export const MAX_DISCARDED_BODY_BYTES = 8 * 1024 * 1024;

/** How long a connection answered with `Connection: close` keeps swallowing the rest of the body. */
const LINGER_MS = 2_000;

/**
 * An answer written before its request's body was read to the end (a 413 from the body limit, a 401,
 * 403, 404, 405 or 429 that never looked at the body) must not leave that body on a keep-alive
 * connection: the next request would sit behind the unread bytes, and a server that then drops the
 * connection fails a request the client believes it sent on a live one.
 *
 * So: a body with a Content-Length of at most MAX_DISCARDED_BODY_BYTES is read and discarded after
 * the answer, and the connection stays usable. A longer body, or one without a length (chunked), is
 * answered with `Connection: close`, and the connection is closed the way HTTP/1.1 asks (RFC 9112
 * §9.6): our side first, then the rest of the body is read and discarded until the client closes its
 * side or LINGER_MS passes. Closing at once would answer the bytes still arriving with a TCP reset,
 * which can reach the client before it has read the answer (it then sees EPIPE or ECONNRESET).
 *
 * Node's own clean-up (`req._dump()` after the answer) skips a body that was partly read, and the web
 * stream the Hono adapter reads it through pauses it again as soon as its small buffer is full.
 */
export function settleUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!req.complete && !discardable(req)) {
      res.setHeader('Connection', 'close');
      lingerOnClose(req.socket);
    }
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
  res.once('finish', () => {
    if (req.complete) return;
    // What Node's req._dump() does: no reader is left, so the body flows into nothing.
    req.removeAllListeners('data');
    req.resume();
  });
}

function discardable(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isSafeInteger(length) && length <= MAX_DISCARDED_BODY_BYTES;
}

/** Node ends a `Connection: close` connection with destroySoon() once the answer is flushed. */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
