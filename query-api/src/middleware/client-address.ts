import { getConnInfo } from '@hono/node-server/conninfo';
import { requestHeader } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';

/**
 * The address a rate limit is counted against. X-Forwarded-For is only believed behind a proxy the
 * operator trusts; otherwise any client could pick a fresh address per request.
 */
export function clientAddressResolver(trustForwardedFor: boolean): (c: Context) => string {
  return (c) => {
    if (trustForwardedFor) {
      const first = requestHeader(c, 'x-forwarded-for')?.split(',')[0]?.trim();
      if (first) return first;
    }
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      // app.request() in tests has no socket.
      return 'unknown';
    }
  };
}
