import { type ServerType, serve } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorBody, HttpError } from '../http-error.js';
import type { Logger } from './logger.js';

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
    logger.error({ err: error, path: c.req.path, method: c.req.method }, 'unhandled error');
    return c.json(errorBody('internal', 'internal server error'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
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

export function listen(app: Hono<any>, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  return new Promise((resolve) => {
    const server: ServerType = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
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
  });
}
