import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import type { AppDeps } from '../src/deps.js';
import {
  appDeps,
  createQueryWorld,
  FallbackReader,
  fallbackOptions,
  type QueryWorld,
  silentLogger,
} from './fixtures/query-world.js';

/** GET /v1/status over the real stores, through the fallback reader the service runs. */
const T = 1_763_000_000_000;
let w: QueryWorld;

beforeAll(async () => {
  w = await createQueryWorld('status');
  await w.writer.writeState({
    boards: [{ board: 'global', order: 'desc' }],
    totals: [{ board: 'global', periodKey: 'all', userId: 'a', score: 1, reachedAt: T }],
    watermark: { 0: 3 },
  });
});
afterAll(async () => {
  await w?.close();
});

describe('GET /v1/status', () => {
  it('names the store that answers, the position per partition and how far the log end is', async () => {
    // given a projection 7 events short of the log end the projector last saw, caught up 5 s ago
    const caughtUpAt = Date.now() - 5_000;
    await w.writer.watermark({ 0: 3 }, { logEnd: { 0: 10 }, caughtUpAt });
    const { app } = w.liveApp();

    const res = await app.request('/v1/status');
    const body = (await res.json()) as any;

    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body).toMatchObject({
      servedBy: 'redis',
      fallbackReason: null,
      redis: { breaker: 'closed', behindMs: 0 },
      eventsBehind: 7,
      partitions: [{ partition: 0, offset: 3, logEnd: 10, behind: 7, caughtUpAt }],
      live: { feeds: 0, sockets: 0, streams: 0 },
    });
    expect(body.projectionLagMs).toBeGreaterThanOrEqual(5_000);
    expect(body.projectionLagMs).toBeLessThan(60_000);
  });

  it('says PostgreSQL answers, and why, while Redis is not ready', async () => {
    await w.writer.watermark({ 0: 3 });
    await w.writer.setReady(false);
    try {
      // the service's wiring: fallbacks counted in the app's metrics
      let deps: AppDeps | undefined;
      const onFallback = (reason: string) => deps?.metrics.fallbacks.inc({ reason });
      const reader = new FallbackReader(w.redisReader, w.pgReader, fallbackOptions({ onFallback }), silentLogger);
      deps = appDeps(reader, { EVENTS_TOPIC: w.env.eventsTopic });
      const app = createApp(deps);
      // one read answered by PostgreSQL, which the fallback counts show; the status itself is not counted
      expect((await app.request('/v1/boards/global/top')).headers.get('x-served-by')).toBe('postgres');
      const body = (await (await app.request('/v1/status')).json()) as any;
      expect(body).toMatchObject({
        servedBy: 'postgres',
        fallbackReason: 'not_ready',
        eventsBehind: 0,
        partitions: [{ partition: 0, offset: 3, logEnd: 3, behind: 0 }],
      });
      expect(body.fallbacks).toEqual({ not_ready: 1 });
      reader.stop();
    } finally {
      await w.writer.setReady(true);
    }
  });
});
