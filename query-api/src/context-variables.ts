import type { StoreName } from './domain/read-model.js';

/** What middlewares and handlers hand each other through Hono's context (c.set / c.get). */
declare module 'hono' {
  interface ContextVariableMap {
    /** The store that answered, for the request metrics. */
    servedBy: StoreName;
    /** The CORS headers of this request, for answers a handler builds as a Response itself. */
    corsHeaders: Record<string, string>;
    /** Set by an answer that carries corsHeaders already. */
    corsApplied: true;
    /** The query string's values by name, parsed once per request (documented-get.ts). */
    parsedQuery: Readonly<Record<string, readonly string[]>>;
  }
}
