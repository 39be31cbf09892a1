import { encodeConsistencyToken, periodKey } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from './fixtures/http.js';
import type { ProjectionState } from './fixtures/projection-writer.js';
import { createQueryWorld, type QueryWorld } from './fixtures/query-world.js';

/**
 * Every endpoint on both paths against real PostgreSQL and Redis: the live app (Redis first, as in
 * production) and an app pinned to PostgreSQL must give the same exact answers.
 */
const T = 1_763_000_000_000;
const DAY = 'daily:2026-11-20';
const WEEK = 'weekly:2026-W47';
const today = () => periodKey('daily', Date.now());

const STATE: ProjectionState = {
  boards: [
    { board: 'global', order: 'desc', periods: ['daily', 'weekly'] },
    { board: 'golf', order: 'asc' },
    { board: 'solo', order: 'desc' },
    { board: 'empty', order: 'desc', periods: ['monthly'] },
  ],
  totals: [
    // Three-way tie on 100: the earlier reachedAt first (u2, u3 before u1), then userId (u2 before u3).
    { board: 'global', periodKey: 'all', userId: 'u1', score: 100, reachedAt: T + 5 },
    { board: 'global', periodKey: 'all', userId: 'u3', score: 100, reachedAt: T + 1 },
    { board: 'global', periodKey: 'all', userId: 'u2', score: 100, reachedAt: T + 1 },
    { board: 'global', periodKey: 'all', userId: 'u4', score: 50, reachedAt: T },
    { board: 'global', periodKey: 'all', userId: 'u5', score: -10, reachedAt: T },
    { board: 'global', periodKey: DAY, userId: 'u1', score: 5, reachedAt: T },
    { board: 'global', periodKey: DAY, userId: 'u4', score: 7, reachedAt: T },
    { board: 'global', periodKey: WEEK, userId: 'u1', score: 3, reachedAt: T },
    // Golf: lowest first; u3 reached 68 before u2.
    { board: 'golf', periodKey: 'all', userId: 'u1', score: 72, reachedAt: T },
    { board: 'golf', periodKey: 'all', userId: 'u2', score: 68, reachedAt: T + 9 },
    { board: 'golf', periodKey: 'all', userId: 'u3', score: 68, reachedAt: T + 2 },
    { board: 'solo', periodKey: 'all', userId: 'u9', score: 1, reachedAt: T },
  ],
  profiles: [
    { userId: 'u1', username: 'One', imageUrl: 'https://img.example/1.png', region: 'eu' },
    { userId: 'u2', username: 'Two' },
    { userId: 'p0', username: 'Profile only' },
  ],
  watermark: { 0: 42 },
};

const e = (rank: number, userId: string, score: number) => ({
  rank,
  userId,
  username: userId === 'u1' ? 'One' : userId === 'u2' ? 'Two' : null,
  imageUrl: userId === 'u1' ? 'https://img.example/1.png' : null,
  score,
});
const scope = (board: string, period = 'all', key = 'all') => ({ board, period, periodKey: key });

let w: QueryWorld;
let live: QueryWorld['pgApp'];

beforeAll(async () => {
  w = await createQueryWorld('endpoints');
  await w.writer.writeState(STATE);
  live = w.liveApp({}, { CONSISTENCY_WAIT_MS: '300' }).app;
});
afterAll(async () => w?.close());

describe.each([
  ['redis', () => live],
  ['postgres', () => w.pgApp],
])('served by %s', (store, app) => {
  const call = (path: string, headers?: Record<string, string>) => get(app(), path, headers);

  it('lists the boards with their order, periods, calendar and all-time players', async () => {
    const UTC = { tiebreaks: [], timeZone: 'UTC', weekStartsOn: 'monday' };
    const a = await call('/v1/boards');
    expect(a.status).toBe(200);
    expect(a.headers.get('x-served-by')).toBe(store);
    expect(a.body).toEqual({
      boards: [
        { board: 'empty', order: 'desc', periods: ['monthly'], ...UTC, players: 0, regions: [] },
        { board: 'global', order: 'desc', periods: ['daily', 'weekly'], ...UTC, players: 5, regions: [] },
        { board: 'golf', order: 'asc', periods: [], ...UTC, players: 3, regions: [] },
        { board: 'solo', order: 'desc', periods: [], ...UTC, players: 1, regions: [] },
      ],
    });
  });

  it('orders ties by the earlier reachedAt, then userId', async () => {
    const a = await call('/v1/boards/global/top?limit=10');
    expect(a.status).toBe(200);
    expect(a.headers.get('x-served-by')).toBe(store);
    expect(a.headers.get('x-projection-lag-ms')).toBe('0');
    expect(a.headers.get('cache-control')).toBe('public, max-age=1');
    expect(a.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(a.body).toEqual({
      ...scope('global'),
      total: 5,
      entries: [e(1, 'u2', 100), e(2, 'u3', 100), e(3, 'u1', 100), e(4, 'u4', 50), e(5, 'u5', -10)],
      nextCursor: null,
    });
  });

  it('ranks an ascending board lowest first', async () => {
    const a = await call('/v1/boards/golf/top');
    expect(a.body.entries).toEqual([e(1, 'u3', 68), e(2, 'u2', 68), e(3, 'u1', 72)]);
    const u = await call('/v1/boards/golf/users/u1');
    expect(u.body).toEqual({ ...scope('golf'), ...e(3, 'u1', 72), total: 3, percentile: 33.33 });
  });

  it('pages by offset and by cursor to the same entries', async () => {
    const p1 = await call('/v1/boards/global/top?limit=2');
    expect(p1.body.entries.map((x: any) => x.userId)).toEqual(['u2', 'u3']);
    expect(p1.body.nextCursor).toEqual(expect.any(String));
    const p2 = await call(`/v1/boards/global/top?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.entries).toEqual([e(3, 'u1', 100), e(4, 'u4', 50)]);
    const p3 = await call(`/v1/boards/global/top?limit=2&cursor=${p2.body.nextCursor}`);
    expect(p3.body.entries).toEqual([e(5, 'u5', -10)]);
    expect(p3.body.nextCursor).toBeNull();
    const byOffset = await call('/v1/boards/global/top?limit=2&offset=2');
    expect(byOffset.body.entries).toEqual(p2.body.entries);
    const past = await call('/v1/boards/global/top?offset=5');
    expect(past.body).toEqual({ ...scope('global'), total: 5, entries: [], nextCursor: null });
  });

  it('answers a user: first, last, and the single player of a board', async () => {
    const first = await call('/v1/boards/global/users/u2');
    expect(first.body).toEqual({ ...scope('global'), ...e(1, 'u2', 100), total: 5, percentile: 100 });
    const last = await call('/v1/boards/global/users/u5');
    expect(last.body).toEqual({ ...scope('global'), ...e(5, 'u5', -10), total: 5, percentile: 20 });
    const solo = await call('/v1/boards/solo/users/u9');
    expect(solo.body).toEqual({ ...scope('solo'), ...e(1, 'u9', 1), total: 1, percentile: 100 });
  });

  it('answers around a user, fewer at the edges', async () => {
    const mid = await call('/v1/boards/global/users/u1/around?radius=1');
    expect(mid.body).toEqual({
      ...scope('global'),
      total: 5,
      entries: [e(2, 'u3', 100), e(3, 'u1', 100), e(4, 'u4', 50)],
    });
    const first = await call('/v1/boards/global/users/u2/around?radius=2');
    expect(first.body.entries).toEqual([e(1, 'u2', 100), e(2, 'u3', 100), e(3, 'u1', 100)]);
    const last = await call('/v1/boards/global/users/u5/around?radius=50');
    expect(last.body.entries.map((x: any) => x.rank)).toEqual([1, 2, 3, 4, 5]);
    const alone = await call('/v1/boards/global/users/u4/around?radius=0');
    expect(alone.body.entries).toEqual([e(4, 'u4', 50)]);
    const solo = await call('/v1/boards/solo/users/u9/around');
    expect(solo.body.entries).toEqual([e(1, 'u9', 1)]);
  });

  it("answers several users' ranks in ranking order and names the unknown ones", async () => {
    const a = await call('/v1/boards/global/ranks?userIds=u5,nobody,u2,u5,u1');
    expect(a.body).toEqual({
      ...scope('global'),
      total: 5,
      entries: [e(1, 'u2', 100), e(3, 'u1', 100), e(5, 'u5', -10)],
      unknownUserIds: ['nobody'],
    });
  });

  it('reads a past period with at, and 400s a period the board does not keep', async () => {
    const day = await call('/v1/boards/global/top?period=daily&at=2026-11-20');
    expect(day.body).toEqual({
      ...scope('global', 'daily', DAY),
      total: 2,
      entries: [e(1, 'u4', 7), e(2, 'u1', 5)],
      nextCursor: null,
    });
    const week = await call('/v1/boards/global/users/u1?period=weekly&at=2026-11-17');
    expect(week.body).toEqual({ ...scope('global', 'weekly', WEEK), ...e(1, 'u1', 3), total: 1, percentile: 100 });
    const current = await call('/v1/boards/global/top?period=daily');
    expect(current.body).toEqual({ ...scope('global', 'daily', today()), total: 0, entries: [], nextCursor: null });
    const notKept = await call('/v1/boards/golf/top?period=daily');
    expect(notKept.status).toBe(400);
    expect(notKept.body.error.details).toEqual([
      { path: 'period', message: 'board golf does not keep daily rankings' },
    ]);
  });

  it('answers an empty board with zero entries', async () => {
    const a = await call('/v1/boards/empty/top?period=monthly&at=2026-11-01');
    expect(a.body).toEqual({
      ...scope('empty', 'monthly', 'monthly:2026-11'),
      total: 0,
      entries: [],
      nextCursor: null,
    });
  });

  it('404s an unknown board and a user without a score', async () => {
    for (const path of [
      '/v1/boards/nope/top',
      '/v1/boards/nope/users/u1',
      '/v1/boards/nope/users/u1/around',
      '/v1/boards/nope/ranks?userIds=u1',
    ]) {
      const a = await call(path);
      expect(a.status, path).toBe(404);
      expect(a.body.error.code, path).toBe('board_not_found');
      // Redis has no such board either way; PostgreSQL confirms it.
      expect(a.headers.get('x-served-by'), path).toBe('postgres');
    }
    for (const path of ['/v1/boards/global/users/nobody', '/v1/boards/global/users/nobody/around']) {
      const a = await call(path);
      expect(a.status, path).toBe(404);
      expect(a.body.error).toEqual({
        code: 'user_not_found',
        message: 'user nobody has no score on global (all)',
        details: [{ path: 'userId', message: 'no score on this board and period' }],
      });
      expect(a.headers.get('x-served-by'), path).toBe(store);
    }
  });

  it("answers a user's standings over every board and current period", async () => {
    const a = await call('/v1/users/u1');
    expect(a.body).toEqual({
      userId: 'u1',
      username: 'One',
      imageUrl: 'https://img.example/1.png',
      region: 'eu',
      boards: [
        { ...scope('global'), rank: 3, score: 100, total: 5 },
        { ...scope('golf'), rank: 3, score: 72, total: 3 },
      ],
    });
    const profileOnly = await call('/v1/users/p0');
    expect(profileOnly.body).toEqual({
      userId: 'p0',
      username: 'Profile only',
      imageUrl: null,
      region: null,
      boards: [],
    });
    const none = await call('/v1/users/nobody');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('user_not_found');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const a = await call('/v1/boards/global/top');
    const etag = a.headers.get('etag')!;
    const again = await call('/v1/boards/global/top', { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    const otherPeriod = await call('/v1/boards/global/top?period=daily&at=2026-11-20', { 'If-None-Match': etag });
    expect(otherPeriod.status).toBe(200);
  });

  it('waits for a consistency token the store covers, and says stale when it never does', async () => {
    const covered = encodeConsistencyToken({ topic: w.env.eventsTopic, offsets: { 0: 42 } });
    const ok = await call(`/v1/boards/global/users/u1?after=${covered}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-consistency')).toBeNull();
    const ahead = encodeConsistencyToken({ topic: w.env.eventsTopic, offsets: { 0: 43 } });
    const stale = await call(`/v1/boards/global/users/u1?after=${covered}&after=${ahead}`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-consistency')).toBe('stale');
    expect(stale.headers.get('cache-control')).toBe('no-store');
    expect(stale.body.rank).toBe(3);
    const viaHeader = await call('/v1/boards/global/top', { 'X-Consistency-Token': ahead });
    expect(viaHeader.headers.get('x-consistency')).toBe('stale');
    const bad = await call('/v1/boards/global/top?after=garbage');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'after', message: 'is not a consistency token' }]);
  });
});

describe('read-your-writes', () => {
  it('answers as soon as the projection reaches the token', async () => {
    const { app } = w.liveApp({}, { CONSISTENCY_WAIT_MS: '5000' });
    const token = encodeConsistencyToken({ topic: w.env.eventsTopic, offsets: { 0: 44 } });
    const pending = get(app, `/v1/boards/solo/users/u9?after=${token}`);
    await new Promise((r) => setTimeout(r, 150));
    await w.writer.totals([{ board: 'solo', periodKey: 'all', userId: 'u9', score: 2, reachedAt: T + 1, version: 43 }]);
    await w.writer.watermark({ 0: 44 });
    const a = await pending;
    expect(a.headers.get('x-consistency')).toBeNull();
    expect(a.body.score).toBe(2);
  });
});

describe('bad parameters', () => {
  const bad: [string, string][] = [
    ['/v1/boards/global/top?limit=0', 'limit'],
    ['/v1/boards/global/top?limit=1001', 'limit'],
    ['/v1/boards/global/top?limit=ten', 'limit'],
    ['/v1/boards/global/top?offset=-1', 'offset'],
    ['/v1/boards/global/top?cursor=nope', 'cursor'],
    ['/v1/boards/global/top?period=yearly', 'period'],
    ['/v1/boards/global/top?period=daily&at=2026-02-30', 'at'],
    ['/v1/boards/global/users/u1/around?radius=51', 'radius'],
    ['/v1/boards/global/ranks', 'userIds'],
    [`/v1/boards/global/ranks?userIds=${Array.from({ length: 101 }, (_, i) => `u${i}`).join(',')}`, 'userIds'],
    ['/v1/boards/global/ranks?userIds=ok,not%20ok', 'userIds.1'],
    ['/v1/boards/Bad%20Board/top', 'board'],
  ];
  it.each(bad)('%s names %s', async (path, param) => {
    const a = await get(live, path);
    expect(a.status).toBe(400);
    expect(a.body.error.code).toBe('invalid_request');
    expect(a.body.error.details.map((d: { path: string }) => d.path)).toContain(param);
  });

  it('refuses a cursor from another period', async () => {
    const p1 = await get(live, '/v1/boards/global/top?limit=1&period=daily&at=2026-11-20');
    const a = await get(live, `/v1/boards/global/top?limit=1&cursor=${p1.body.nextCursor}`);
    expect(a.status).toBe(400);
    expect(a.body.error.details).toEqual([{ path: 'cursor', message: 'belongs to another period' }]);
  });
});
