import { describe, expect, it } from 'vitest';
import { auth, fakeDeps, KEYS } from '../../test/fake-deps.js';
import { createApp } from '../app.js';

const H = 3_600_000;

async function world() {
  const fake = fakeDeps();
  const app = createApp(fake.deps);
  const put = await app.request('/v1/boards/arena', {
    method: 'PUT',
    headers: { ...auth(KEYS.admin), 'content-type': 'application/json' },
    body: JSON.stringify({ periods: ['daily'] }),
  });
  expect(put.status).toBe(201);
  return { ...fake, app };
}

const post = (key: string, body?: unknown) => ({
  method: 'POST',
  headers: { ...auth(key), 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

async function error(res: Response) {
  return ((await res.json()) as { error: { code: string; details: { path: string }[] } }).error;
}

describe('season and reset routes', () => {
  it('logs a season as a board event; with Kafka down, a 503, and a retry finds it logged', async () => {
    const { app, publisher, clock, boards } = await world();
    const season = { seasonId: 's1', startsAt: clock.now, endsAt: clock.now + 10 * H };
    publisher.unavailable = true;
    const down = await app.request('/v1/boards/arena/seasons', post(KEYS.admin, season));
    expect(down.status).toBe(503);
    expect(boards.rows.get('arena')?.schedule.seasons).toEqual([]);
    publisher.unavailable = false;
    // the retry sends the pending change first; the season then exists, as asked
    const res = await app.request('/v1/boards/arena/seasons', post(KEYS.admin, season));
    expect(res.status).toBe(200);
    expect(publisher.published).toEqual([
      {
        kind: 'board',
        event: {
          eventId: expect.any(String),
          action: 'season',
          board: 'arena',
          seasonId: 's1',
          startsAt: clock.now,
          endsAt: clock.now + 10 * H,
          actor: 'adm',
          occurredAt: clock.now,
        },
      },
    ]);
    expect(boards.rows.get('arena')?.schedule.seasons).toEqual([season]);
  });

  it('refuses every event of a request that falls in no season, naming each, and an initialScore out of season', async () => {
    const { app, clock, publisher } = await world();
    const season = { seasonId: 's1', startsAt: clock.now - H, endsAt: clock.now + H };
    expect((await app.request('/v1/boards/arena/seasons', post(KEYS.admin, season))).status).toBe(201);
    const res = await app.request(
      '/v1/events',
      post(KEYS.ingest, {
        events: [
          { userId: 'a', board: 'arena', value: 1 },
          { userId: 'b', board: 'arena', value: 1, occurredAt: clock.now - 2 * H },
          { userId: 'c', board: 'other', value: 1, occurredAt: clock.now - 2 * H },
          { userId: 'd', board: 'arena', value: 1, occurredAt: clock.now - 3 * H },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect((await error(res)).details.map((d) => d.path)).toEqual(['events.1.occurredAt', 'events.3.occurredAt']);
    expect(publisher.published.filter((e) => e.kind === 'score')).toEqual([]);
    clock.now += 2 * H;
    const late = await app.request(
      '/v1/users',
      post(KEYS.both, { userId: 'e', username: 'Eve', initialScore: 5, board: 'arena' }),
    );
    expect(late.status).toBe(400);
    expect((await error(late)).details).toMatchObject([{ path: 'initialScore' }]);
  });

  it("removes a player's entry from one season, the one in progress by default", async () => {
    const { app, clock, publisher } = await world();
    const s1 = { seasonId: 's1', startsAt: clock.now - H, endsAt: clock.now + H };
    await app.request('/v1/boards/arena/seasons', post(KEYS.admin, s1));
    const del = (query: string) =>
      app.request(`/v1/boards/arena/users/u1?${query}`, { method: 'DELETE', headers: auth(KEYS.admin) });
    expect((await del('period=season')).status).toBe(202);
    expect(publisher.published.at(-1)).toMatchObject({ kind: 'admin', event: { periodKey: 'season:s1' } });
    expect((await error(await del('period=season&season=s9'))).details).toMatchObject([{ path: 'season' }]);
    expect((await error(await del('period=daily&season=s1'))).details).toMatchObject([{ path: 'season' }]);
  });

  it('resets now: ends the season in progress there and starts the one asked for', async () => {
    const { app, clock, boards } = await world();
    const s1 = { seasonId: 's1', startsAt: clock.now - H, endsAt: clock.now + H };
    await app.request('/v1/boards/arena/seasons', post(KEYS.admin, s1));
    clock.now += 1000;
    const half = await app.request('/v1/boards/arena/reset', post(KEYS.admin, { seasonId: 's2' }));
    expect(half.status).toBe(400);
    expect((await error(half)).details).toMatchObject([{ path: 'endsAt' }]);
    const res = await app.request(
      '/v1/boards/arena/reset',
      post(KEYS.admin, { seasonId: 's2', endsAt: new Date(clock.now + 5 * H).toISOString() }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      board: 'arena',
      resetAt: new Date(clock.now).toISOString(),
      endedSeason: 's1',
      startedSeason: { seasonId: 's2', startsAt: new Date(clock.now).toISOString() },
    });
    expect(boards.rows.get('arena')?.schedule).toEqual({
      seasons: [
        { ...s1, endsAt: clock.now },
        { seasonId: 's2', startsAt: clock.now, endsAt: clock.now + 5 * H },
      ],
      resets: [clock.now],
    });
    // an empty body resets without a new season; an unknown board is a 404
    clock.now += 1000;
    const plain = await app.request('/v1/boards/arena/reset', { method: 'POST', headers: auth(KEYS.admin) });
    expect(await plain.json()).toMatchObject({ endedSeason: 's2', startedSeason: null });
    expect((await app.request('/v1/boards/nowhere/reset', post(KEYS.admin))).status).toBe(404);
    expect((await app.request('/v1/boards/arena/reset', { method: 'GET', headers: auth(KEYS.admin) })).status).toBe(
      405,
    );
  });
});
