import { HttpError } from '@rankstream/schemas';
import type { MiddlewareHandler } from 'hono';
import { type ApiKey, findApiKey, type Scope } from './api-keys.js';

export type AuthVariables = { apiKey: ApiKey };

/** 401 without a valid `Authorization: Bearer <key>`, 403 when the key has none of the scopes. */
export function requireScope(
  keys: readonly ApiKey[],
  ...anyOf: Scope[]
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const key = match?.[1] ? findApiKey(keys, match[1]) : undefined;
    if (!key) {
      throw new HttpError(
        401,
        'unauthorized',
        header ? 'the API key is not valid' : 'an API key is required: Authorization: Bearer <key>',
        [],
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    if (!anyOf.some((s) => key.scopes.has(s))) {
      throw new HttpError(403, 'forbidden', `this key lacks the ${anyOf.join(' or ')} scope`);
    }
    c.set('apiKey', key);
    await next();
  };
}
