import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import type { Socket } from 'node:net';

export interface KeepAliveAnswer {
  status: number;
  /** The answer's Connection header. */
  connection: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  /** Which of the client's connections carried the request, counted from 1 in the order opened. */
  connectionNumber: number;
}

export interface KeepAliveRequest {
  headers?: Record<string, string>;
  body?: string;
  /** Sends the body in 64 KiB chunks without a Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
}

/**
 * A pooled keep-alive client with a single connection, as a game server's HTTP client pool is when
 * idle: every request reuses the connection the previous one left, if the server left it open.
 */
export function keepAliveClient(baseUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const opened: Socket[] = [];
  return {
    request(method: string, path: string, options: KeepAliveRequest = {}): Promise<KeepAliveAnswer> {
      return new Promise((resolve, reject) => {
        const req = request(new URL(path, baseUrl), { method, agent, headers: framed(options) }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              connection: res.headers.connection,
              headers: res.headers,
              body,
              connectionNumber: opened.indexOf(req.socket as Socket) + 1,
            }),
          );
        });
        req.on('socket', (socket) => {
          if (!opened.includes(socket)) opened.push(socket);
        });
        // An error after the answer (the server closing while the body is still going out) is moot.
        req.on('error', reject);
        writeBody(req, options);
      });
    },
    /** How many connections the client has opened so far. */
    connections: () => opened.length,
    close: () => agent.destroy(),
  };
}

export type KeepAliveClient = ReturnType<typeof keepAliveClient>;

/** Node frames a GET's body only when told how; without it the body would read as the next request. */
function framed(options: KeepAliveRequest): Record<string, string | number> {
  if (options.body === undefined) return { ...options.headers };
  if (options.chunked) return { ...options.headers, 'transfer-encoding': 'chunked' };
  return { ...options.headers, 'content-length': Buffer.byteLength(options.body) };
}

function writeBody(req: ReturnType<typeof request>, options: KeepAliveRequest): void {
  const body = options.body;
  if (body === undefined) return void req.end();
  if (!options.chunked) return void req.end(body);
  const step = 64 * 1024;
  let at = 0;
  const pump = () => {
    while (at < body.length) {
      const chunk = body.slice(at, at + step);
      at += step;
      if (!req.write(chunk)) return void req.once('drain', pump);
    }
    req.end();
  };
  pump();
}
