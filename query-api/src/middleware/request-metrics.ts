import type { MiddlewareHandler } from 'hono';
import type { QueryMetrics } from '../query-metrics.js';

/** Counts every answer by route pattern (never the raw path: unbounded label values) and store. */
export function requestMetrics(metrics: QueryMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath === '/*' || !c.req.routePath ? 'unmatched' : c.req.routePath;
    // From the context, not c.res.headers: reading those would turn a plain header record into a
    // WHATWG Headers object, the cost the answers avoid (read-answer.ts, storeAnswer).
    const servedBy = c.get('servedBy') ?? 'none';
    metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status), served_by: servedBy });
    if (!route.endsWith('/stream')) {
      metrics.latency.observe({ route, served_by: servedBy }, (performance.now() - started) / 1000);
    }
  };
}
