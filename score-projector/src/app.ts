import {
  installErrorHandling,
  type Logger,
  mountHealth,
  mountMetrics,
  type ReadinessCheck,
  type Registry,
} from '@rankstream/schemas/runtime';
import { Hono } from 'hono';

/** The projector serves no API: only health, readiness and metrics for its operators. */
export function createApp(deps: { logger: Logger; registry: Registry; checks: Record<string, ReadinessCheck> }): Hono {
  const app = new Hono();
  installErrorHandling(app, deps.logger);
  mountHealth(app, deps.checks);
  mountMetrics(app, deps.registry);
  return app;
}
