import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * A request header, read from Node's own parsed headers when the request came through
 * @hono/node-server. Hono's `c.req.header()` builds a WHATWG Headers object from every raw header
 * first, validating each, which cost more than the rest of a cached answer on the query API's
 * hottest path. Without a Node request (tests' `app.request()`), Hono answers.
 *
 * Node joins a repeated header with ", " as WHATWG does, except for a few it keeps only the first of
 * (Authorization, Content-Type, Host, User-Agent and the like): do not read those through this.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
