import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/**
 * A request header, read from Node's own parsed headers when the request came through
 * @hono/node-server. Hono's `c.req.header()` builds a WHATWG Headers object from every raw header
 * first, validating each, which cost more than the rest of a cached answer on the query API's
 * hottest path. Without a Node request (tests' `app.request()`), Hono answers.
 *
 * Node joins a repeated header with ", " as WHATWG does, but Cookie with "; ", and keeps only the
 * first of a few (Authorization, Content-Type, Host, User-Agent and the like): do not read those
 * through this.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
