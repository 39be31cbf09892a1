import { compareEntries, type RankOrder } from '@rankstream/schemas';
import { createLogger, createMetricsRegistry } from '@rankstream/schemas/runtime';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { parseQueryConfig } from './config.js';
import type { AppDeps } from './deps.js';
import { BoardCalendars } from './domain/board-calendars.js';
import type { RankingReader, StoreRead, StoreState } from './domain/read-model.js';
import { createQueryMetrics } from './query-metrics.js';
import { FallbackReader, type FallbackReason } from './readers/fallback.js';

/** An in-memory store for the HTTP layer's tests: one desc board "g" (all-time only). */
function memoryReader(
  opts: { order?: RankOrder; behaviour?: 'ok' | 'not_ready' | 'throw' | 'hang' } = {},
): RankingReader {
  const order = opts.order ?? 'desc';
  const rows = [
    { userId: 'a', score: 5, reachedAt: 2 },
    { userId: 'b', score: 9, reachedAt: 1 },
  ].sort(compareEntries(order));
  const state: StoreState = { watermark: { 0: 3 }, progress: { 0: { logEnd: 3, caughtUpAt: 0 } } };
  const def = { board: 'g', order, tiebreaks: [], periods: [], timeZone: 'UTC', weekStartsOn: 'monday' as const };
  const ranked = rows.map((r, i) => ({ ...r, rank: i + 1, username: null, imageUrl: null }));
  async function answer<T>(value: T): Promise<StoreRead<T>> {
    if (opts.behaviour === 'throw') throw new Error('connection refused');
    if (opts.behaviour === 'hang') return new Promise(() => {});
    if (opts.behaviour === 'not_ready') return { served: false, reason: 'not_ready' };
    return { served: true, value, state };
  }
  const unused = () => Promise.reject(new Error('not used in these tests'));
  return {
    boards: () => answer([{ ...def, players: rows.length, regions: [] }]),
    top: (board, _key, page) =>
      answer(
        board === 'g' ? { def, total: rows.length, entries: 'offset' in page ? ranked.slice(page.offset) : [] } : null,
      ),
    user: (board, _key, userId) =>
      answer(
        board === 'g' ? { def, total: rows.length, entry: ranked.find((r) => r.userId === userId) ?? null } : null,
      ),
    around: unused,
    ranks: unused,
    userBoards: unused,
    state: () => answer(state),
  };
}

function deps(redis: RankingReader, env: Record<string, string> = {}, reasons: FallbackReason[] = []): AppDeps {
  const logger = createLogger('test', 'silent');
  const registry = createMetricsRegistry('query-api-test');
  const reader = new FallbackReader(
    redis,
    memoryReader(),
    {
      redisDeadlineMs: 30,
      maxRedisLagMs: 1000,
      breakerErrorPercent: 50,
      breakerMinCalls: 2,
      breakerResetMs: 60_000,
      onFallback: (r) => reasons.push(r),
    },
    logger,
  );
  return {
    reader,
    config: parseQueryConfig({ QUERY_RATE_LIMIT_PER_S: '0', ...env }),
    logger,
    registry,
    metrics: createQueryMetrics(registry),
    readiness: {},
    clientAddress: (c) => c.req.header('x-test-client') ?? 'one',
    calendars: new BoardCalendars(),
    now: Date.now,
    sleep: async () => {},
  };
}

describe('the HTTP layer', () => {
  it('answers from Redis with the store and lag headers', async () => {
    const app = createApp(deps(memoryReader()));
    const res = await app.request('/v1/boards/g/top');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('redis');
    expect(res.headers.get('x-projection-lag-ms')).toBe('0');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as any).entries.map((e: { userId: string }) => e.userId)).toEqual(['b', 'a']);
  });

  it.each([
    ['not_ready', 'not_ready'],
    ['throw', 'redis_error'],
    ['hang', 'redis_timeout'],
  ] as const)('falls back to PostgreSQL when Redis is %s', async (behaviour, reason) => {
    const reasons: FallbackReason[] = [];
    const app = createApp(deps(memoryReader({ behaviour }), {}, reasons));
    const res = await app.request('/v1/boards/g/users/a');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('postgres');
    expect(reasons).toEqual([reason]);
  });

  it('stops trying a failing Redis once the breaker opens', async () => {
    const reasons: FallbackReason[] = [];
    const app = createApp(deps(memoryReader({ behaviour: 'throw' }), {}, reasons));
    for (let i = 0; i < 5; i++) await app.request('/v1/boards/g/top');
    expect(reasons).toEqual(['redis_error', 'redis_error', 'breaker_open', 'breaker_open', 'breaker_open']);
  });

  it('answers an unknown route 404 and a wrong method 405 with the JSON error shape', async () => {
    const app = createApp(deps(memoryReader()));
    const missing = await app.request('/v1/nothing');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('not_found');
    const wrong = await app.request('/v1/boards/g/top', { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(((await wrong.json()) as any).error.code).toBe('method_not_allowed');
  });

  it('carries X-Served-By and X-Projection-Lag-Ms on exactly the answers that read a store', async () => {
    const storeHeaders = async (app: ReturnType<typeof createApp>, path: string, init?: RequestInit) => {
      const res = await app.request(path, init);
      return [res.status, res.headers.get('x-served-by'), res.headers.get('x-projection-lag-ms')];
    };
    const app = createApp(deps(memoryReader()));
    const etag = (await app.request('/v1/boards/g/top')).headers.get('etag')!;
    // Read a store: the answer, a 304, and the errors found in the data.
    expect(await storeHeaders(app, '/v1/boards/g/top')).toEqual([200, 'redis', '0']);
    expect(await storeHeaders(app, '/v1/boards/g/top', { headers: { 'If-None-Match': etag } })).toEqual([
      304,
      'redis',
      '0',
    ]);
    expect(await storeHeaders(app, '/v1/boards/g/users/nobody')).toEqual([404, 'redis', '0']);
    expect(await storeHeaders(app, '/v1/boards/g/top?period=daily')).toEqual([400, 'redis', '0']);
    // Answered before any read.
    expect(await storeHeaders(app, '/v1/boards/g/top?limit=0')).toEqual([400, null, null]);
    expect(await storeHeaders(app, '/v1/nothing')).toEqual([404, null, null]);
    expect(await storeHeaders(app, '/v1/boards/g/top', { method: 'POST' })).toEqual([405, null, null]);
    const limited = createApp(deps(memoryReader(), { QUERY_RATE_LIMIT_PER_S: '1' }));
    await limited.request('/v1/boards');
    expect(await storeHeaders(limited, '/v1/boards')).toEqual([429, null, null]);
  });

  it('limits each client address and says when to retry', async () => {
    const app = createApp(deps(memoryReader(), { QUERY_RATE_LIMIT_PER_S: '2' }));
    expect((await app.request('/v1/boards')).status).toBe(200);
    expect((await app.request('/v1/boards')).status).toBe(200);
    const limited = await app.request('/v1/boards');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as any).error.code).toBe('rate_limited');
    // Browsers can read the 429 and its Retry-After only with the CORS headers on it.
    const fromPage = await app.request('/v1/boards', { headers: { Origin: 'https://web.example' } });
    expect(fromPage.status).toBe(429);
    expect(fromPage.headers.get('access-control-allow-origin')).toBe('*');
    expect(fromPage.headers.get('access-control-expose-headers')).toContain('Retry-After');
    const other = await app.request('/v1/boards', { headers: { 'x-test-client': 'two' } });
    expect(other.status).toBe(200);
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('allows the configured origins only', async () => {
    const app = createApp(deps(memoryReader(), { CORS_ORIGINS: 'https://game.example, https://web.example' }));
    const ok = await app.request('/v1/boards', { headers: { Origin: 'https://web.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://web.example');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Served-By');
    // Caches must key on both: the origin picks the CORS header, the token the wait.
    expect(ok.headers.get('vary')).toBe('Origin, X-Consistency-Token');
    const other = await app.request('/v1/boards', { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await app.request('/v1/boards/g/top', {
      method: 'OPTIONS',
      headers: { Origin: 'https://game.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Consistency-Token');
    const any = createApp(deps(memoryReader()));
    const star = await any.request('/v1/boards', { headers: { Origin: 'https://anything.example' } });
    expect(star.headers.get('access-control-allow-origin')).toBe('*');
    expect(star.headers.get('vary')).toBe('X-Consistency-Token');
  });

  it('serves the request when the rate limiter itself fails (the cluster primary not answering)', async () => {
    const broken = new RateLimiterMemory({ points: 1, duration: 1 });
    broken.consume = () => Promise.reject(new Error('RateLimiterCluster timeout'));
    const app = createApp({ ...deps(memoryReader(), { QUERY_RATE_LIMIT_PER_S: '1' }), rateLimiter: broken });
    expect((await app.request('/v1/boards')).status).toBe(200);
    expect((await app.request('/v1/boards')).status).toBe(200);
  });

  it('publishes the OpenAPI document, a docs page and metrics', async () => {
    const app = createApp(deps(memoryReader()));
    const doc = (await (await app.request('/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/boards',
      '/v1/boards/{board}/ranks',
      '/v1/boards/{board}/seasons',
      '/v1/boards/{board}/stream',
      '/v1/boards/{board}/top',
      '/v1/boards/{board}/users/{userId}',
      '/v1/boards/{board}/users/{userId}/around',
      '/v1/boards/{board}/users/{userId}/stream',
      '/v1/users/{userId}',
    ]);
    const docs = await app.request('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    await app.request('/v1/boards/g/top');
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(
      /query_http_requests_total\{route="\/v1\/boards\/:board\/top",method="GET",status="200",served_by="redis"[^}]*\} 1/,
    );
    expect(metrics).toContain('query_redis_breaker_state');
  });
});
