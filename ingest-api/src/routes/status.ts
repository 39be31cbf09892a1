import { Hono } from 'hono';
import type { AppDeps } from './deps.js';

/**
 * GET /v1/status: what the dashboard charts, as JSON a browser can read (/metrics is Prometheus
 * text). Counts only, so it needs no key. `eventsInLog` counts every producer's events; a rate is
 * the difference of two polls over their `at`.
 */
export function statusRoutes(deps: AppDeps) {
  const r = new Hono();
  r.get('/', async (c) => {
    const accepted = await deps.metrics.eventsAccepted.get();
    const byKind = Object.fromEntries(accepted.values.map((v) => [String(v.labels.kind), v.value]));
    let log: { eventsInLog: number; deadLettered: number } | null = null;
    let kafka: 'up' | 'down' = 'up';
    try {
      log = deps.logStatus ? await deps.logStatus.read() : null;
    } catch {
      kafka = 'down';
    }
    c.header('Cache-Control', 'no-store');
    return c.json({
      at: deps.now(),
      kafka,
      eventsInLog: log?.eventsInLog ?? null,
      deadLettered: log?.deadLettered ?? null,
      acceptedByThisProcess: { score: byKind.score ?? 0, profile: byKind.profile ?? 0 },
    });
  });
  return r;
}
