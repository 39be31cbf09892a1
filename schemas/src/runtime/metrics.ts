import type { Hono } from 'hono';
import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** GET /metrics in the Prometheus text format. */
export function mountMetrics(app: Hono<any>, registry: Registry, text = () => registry.metrics()): void {
  app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await text());
  });
}
