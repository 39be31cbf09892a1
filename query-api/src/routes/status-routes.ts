import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { projectionLagMs } from '../domain/projection-lag.js';
import type { FeedHub } from '../live/feed-hub.js';
import type { ServingStatus } from '../readers/fallback.js';

/**
 * GET /v1/status: the pipeline as the dashboard charts it, JSON a browser reads easily (/metrics is
 * Prometheus text): which store answers and why, the projection's position per partition against
 * the log end the projector last saw, this process's fallbacks by reason, and its live feeds.
 */
export function statusRoutes(deps: AppDeps, hub: FeedHub) {
  const r = new Hono();
  r.get('/', async (c) => {
    const now = deps.now();
    const serving: ServingStatus = deps.reader.serving
      ? await deps.reader.serving()
      : await deps.reader
          .read((x) => x.state())
          .then((s) => ({ servedBy: s.servedBy, reason: null, state: s.state, breaker: 'closed', redisBehindMs: 0 }));
    const { state } = serving;
    const partitions = Object.keys({ ...state.watermark, ...state.progress })
      .map(Number)
      .sort((a, b) => a - b)
      .map((partition) => {
        const offset = state.watermark[partition] ?? 0;
        const progress = state.progress[partition];
        const logEnd = Math.max(progress?.logEnd ?? offset, offset);
        // 0: the projector has not yet recorded a moment it was caught up for this partition.
        return { partition, offset, logEnd, behind: logEnd - offset, caughtUpAt: progress?.caughtUpAt || null };
      });
    const sum = async (metric: { get(): Promise<{ values: { value: number; labels: object }[] }> }) =>
      (await metric.get()).values.reduce((n, v) => n + v.value, 0);
    const fallbacks = Object.fromEntries(
      (await deps.metrics.fallbacks.get()).values.map((v) => [String(v.labels.reason), v.value]),
    );
    c.header('Cache-Control', 'no-store');
    return c.json({
      at: now,
      servedBy: serving.servedBy,
      fallbackReason: serving.reason,
      redis: { breaker: serving.breaker, behindMs: serving.redisBehindMs },
      projectionLagMs: projectionLagMs(state, now),
      eventsBehind: partitions.reduce((n, p) => n + p.behind, 0),
      partitions,
      fallbacks,
      live: { feeds: hub.size(), sockets: await sum(deps.metrics.sockets), streams: await sum(deps.metrics.streams) },
    });
  });
  return r;
}
