import { type ServerType, serve } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorBody, HttpError } from '../http-error.js';
import type { Logger } from './logger.js';
import { settleUnreadBody } from './unread-body.js';

/** Every error leaves as the one JSON shape; unexpected ones are logged and hidden behind a 500. */
export function installErrorHandling(app: Hono<any>, logger: Logger): void {
  app.onError((error, c) => {
    if (error instanceof HttpError) {
      for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
      return c.json(error.toBody(), error.status as ContentfulStatusCode);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'http_error';
      return c.json(errorBody(code, error.message || 'request refused'), status as ContentfulStatusCode);
    }
    if (isDependencyUnavailable(error)) {
      logger.warn({ err: error, path: c.req.path }, 'a backing service is unreachable: answering 503');
      c.header('Retry-After', '1');
      return c.json(errorBody('unavailable', 'a backing service is unreachable; retry shortly'), 503);
    }
    logger.error({ err: error, path: c.req.path, method: c.req.method }, 'unhandled error');
    return c.json(errorBody('internal', 'internal server error'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
]);

/**
 * A database (or other dependency) that is down or restarting is the client's cue to retry, not a
 * bug: 503 with Retry-After instead of 500. PostgreSQL's connection-exception class is 08xxx and
 * 57P0x is "shutting down / cannot connect now"; node-postgres reports a lost or slow connection only
 * in its message.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^08...$/.test(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    message,
  );
}

/** For a known path hit with a method it does not serve. */
export function methodNotAllowed(allowed: readonly string[]) {
  return (c: Context) => {
    c.header('Allow', allowed.join(', '));
    return c.json(
      errorBody('method_not_allowed', `${c.req.method} is not allowed here; use ${allowed.join(' or ')}`),
      405,
    );
  };
}

export type ReadinessCheck = () => Promise<unknown>;

/** GET /healthz: the process answers. GET /readyz: every dependency answers within a second. */
export function mountHealth(app: Hono<any>, checks: Record<string, ReadinessCheck>): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 1_000);
          return [name, 'up'] as const;
        } catch (error) {
          return [name, `down: ${(error as Error).message}`] as const;
        }
      }),
    );
    const ready = results.every(([, s]) => s === 'up');
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) }, ready ? 200 : 503);
  });
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** `onServer` gets the Node server before it listens (to take WebSocket upgrades, for one). */
export function listen(
  app: Hono<any>,
  port: number,
  host = '0.0.0.0',
  onServer?: (server: ServerType) => void,
): Promise<RunningServer> {
  return new Promise((resolve) => {
    // The adapter's own clean-up of unread bodies stalls on a partly read one and drops the connection
    // after 500 ms, though it answered keep-alive; settleUnreadBody does it instead, for every service.
    const server: ServerType = serve({ fetch: app.fetch, port, hostname: host, autoCleanupIncoming: false }, (info) => {
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive and SSE connections would otherwise hold close() open.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    // Prepended: an answer can be written before the adapter's own listener returns.
    server.prependListener('request', settleUnreadBody);
    onServer?.(server);
  });
}
