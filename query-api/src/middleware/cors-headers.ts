import { requestHeader } from '@rankstream/schemas/runtime';
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

export interface CorsOptions {
  /** Allowed origins, or ['*'] for any. */
  origins: readonly string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

/**
 * CORS for the read API. Preflights (OPTIONS) are hono/cors's. For the actual requests the headers
 * are handed to the answers a handler builds as a plain record (storeAnswer), and set on c.res
 * afterwards only for the other answers. Not through c.header() before the handler: that builds a
 * WHATWG Headers object per request. Not on c.res before the handler either, as hono/cors does: Hono
 * then merges two responses, which turns @hono/node-server's lightweight response into a full web
 * Response with a body stream (about 15 % of the query API's CPU per request when measured).
 */
export function corsHeaders(options: CorsOptions): MiddlewareHandler {
  const anyOrigin = options.origins.includes('*');
  const preflight = cors({
    origin: anyOrigin ? '*' : [...options.origins],
    allowMethods: options.allowMethods,
    allowHeaders: options.allowHeaders,
    exposeHeaders: options.exposeHeaders,
    maxAge: options.maxAgeSeconds,
  });
  const expose = options.exposeHeaders.join(',');
  const forAnyOrigin = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': expose };
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    let headers: Record<string, string> = forAnyOrigin;
    if (!anyOrigin) {
      const origin = requestHeader(c, 'origin') ?? '';
      // The answer depends on the Origin header unless every origin gets the same one.
      headers = { 'Access-Control-Expose-Headers': expose, Vary: 'Origin' };
      if (options.origins.includes(origin)) headers['Access-Control-Allow-Origin'] = origin;
    }
    // The answers a handler builds itself (read-answer.ts, storeAnswer) take them from here; the
    // others (errors, Hono's own answers) get them below.
    c.set('corsHeaders', headers);
    await next();
    if (c.get('corsApplied')) return;
    for (const [name, value] of Object.entries(headers)) {
      const before = name === 'Vary' ? c.res.headers.get('vary') : null;
      c.res.headers.set(name, before ? `${value}, ${before}` : value);
    }
  };
}
