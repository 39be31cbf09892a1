import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { call, eventually, type Pipeline, startPipeline } from './service-calls.js';

const ADMIN = 'season-admin';
const GAME = 'season-game';
const MINUTE = 60_000;
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('ingest_seasons', `admin:${sha256Hex(ADMIN)}:admin,game:${sha256Hex(GAME)}:ingest`);
});
afterAll(async () => p?.stop());

interface Page {
  periodKey: string;
  entries: { userId: string; score: number }[];
}
const names = (page: Page) => page.entries.map((e) => [e.userId, e.score]);
const read = async (path: string) => {
  const res = await fetch(`${p.query.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};
const error = async (res: Response) => ((await res.json()) as any).error;

describe('seasons and reset now through the HTTP API', () => {
  it('defines seasons, refuses events in none, ends one with a reset, and keeps every season readable', async () => {
    // given a board with daily periods, and a season around now
    expect((await call(p.ingest, 'PUT', '/v1/boards/ladder', ADMIN, { periods: ['daily'] })).status).toBe(201);
    const now = Date.now();
    const s1 = { seasonId: 's1', startsAt: new Date(now - 60 * MINUTE).toISOString(), endsAt: now + 60 * MINUTE };
    const created = await call(p.ingest, 'POST', '/v1/boards/ladder/seasons', ADMIN, s1);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ board: 'ladder', seasonId: 's1', status: 'current' });
    // the same season again is no change; an overlap, a new interval for s1, a bad interval are refused
    expect((await call(p.ingest, 'POST', '/v1/boards/ladder/seasons', ADMIN, s1)).status).toBe(200);
    const overlap = await call(p.ingest, 'POST', '/v1/boards/ladder/seasons', ADMIN, {
      seasonId: 'x',
      startsAt: now,
      endsAt: now + 120 * MINUTE,
    });
    expect(overlap.status).toBe(400);
    expect(await error(overlap)).toMatchObject({ code: 'season_overlaps', details: [{ path: 'startsAt' }] });
    const moved = await call(p.ingest, 'POST', '/v1/boards/ladder/seasons', ADMIN, { ...s1, endsAt: now + MINUTE });
    expect(moved.status).toBe(400);
    expect(await error(moved)).toMatchObject({ code: 'season_exists', details: [{ path: 'seasonId' }] });
    const backwards = await call(p.ingest, 'POST', '/v1/boards/ladder/seasons', ADMIN, {
      seasonId: 'y',
      startsAt: now + 200 * MINUTE,
      endsAt: now + 100 * MINUTE,
    });
    expect(backwards.status).toBe(400);
    expect(await error(backwards)).toMatchObject({ details: [{ path: 'endsAt' }] });
    const unknown = await call(p.ingest, 'POST', '/v1/boards/nowhere/seasons', ADMIN, s1);
    expect(unknown.status).toBe(404);
    expect((await call(p.ingest, 'POST', '/v1/boards/ladder/seasons', GAME, s1)).status).toBe(403);

    // when players score in the season, and one event falls before it
    const posted = await call(p.ingest, 'POST', '/v1/events', GAME, {
      events: [
        { userId: 'ann', board: 'ladder', value: 10 },
        { userId: 'bob', board: 'ladder', value: 5 },
      ],
    });
    expect(posted.status).toBe(202);
    const { consistencyToken } = (await posted.json()) as { consistencyToken: string };
    const outside = await call(p.ingest, 'POST', '/v1/events', GAME, {
      userId: 'ann',
      board: 'ladder',
      value: 1,
      occurredAt: now - 90 * MINUTE,
    });
    expect(outside.status).toBe(400);
    expect(await error(outside)).toMatchObject({ details: [{ path: 'occurredAt' }] });

    // then the season reads like any period, by default the one in progress
    const season = await read(`/v1/boards/ladder/top?period=season&after=${consistencyToken}`);
    expect(season.body.periodKey).toBe('season:s1');
    expect(names(season.body)).toEqual([
      ['ann', 10],
      ['bob', 5],
    ]);
    expect((await read('/v1/boards/ladder/top?period=season&season=nope')).status).toBe(404);
    expect((await read('/v1/boards/ladder/top?period=all&season=s1')).body.error.details[0].path).toBe('season');

    // when the board is reset now, starting season s2
    const reset = await call(p.ingest, 'POST', '/v1/boards/ladder/reset', ADMIN, {
      seasonId: 's2',
      endsAt: new Date(now + 240 * MINUTE).toISOString(),
    });
    expect(reset.status).toBe(200);
    const resetBody = (await reset.json()) as { resetAt: string; endedSeason: string; consistencyToken: string };
    expect(resetBody).toMatchObject({ endedSeason: 's1', startedSeason: { seasonId: 's2' } });
    const resetAt = Date.parse(resetBody.resetAt);

    // and cy scores after it, while bob's late event from before it arrives after it
    const after = await call(p.ingest, 'POST', '/v1/events', GAME, {
      events: [
        { userId: 'cy', board: 'ladder', value: 7 },
        { userId: 'bob', board: 'ladder', value: 20, occurredAt: resetAt - 1000 },
      ],
    });
    expect(after.status).toBe(202);
    const token = ((await after.json()) as { consistencyToken: string }).consistencyToken;

    // then the season in progress and today's instance hold only cy; s1 and the instance the reset
    // ended hold bob's late points; all-time holds everything
    const current = await eventually(
      () => read(`/v1/boards/ladder/top?period=season&after=${token}`),
      (r) => r.body.periodKey === 'season:s2',
      5_000,
    );
    expect(names(current.body)).toEqual([['cy', 7]]);
    const ended = await read(`/v1/boards/ladder/top?period=season&season=s1&after=${token}`);
    expect(names(ended.body)).toEqual([
      ['bob', 25],
      ['ann', 10],
    ]);
    const today = await read(`/v1/boards/ladder/top?period=daily&after=${token}`);
    expect(today.body.periodKey).toBe(`daily:${new Date(resetAt).toISOString().slice(0, 10)}~${resetAt}`);
    expect(names(today.body)).toEqual([['cy', 7]]);
    const beforeReset = await read(
      `/v1/boards/ladder/top?period=daily&at=${new Date(resetAt - 1000).toISOString()}&after=${token}`,
    );
    expect(names(beforeReset.body)).toEqual([
      ['bob', 25],
      ['ann', 10],
    ]);
    const allTime = await read(`/v1/boards/ladder/top?after=${token}`);
    expect(names(allTime.body)).toEqual([
      ['bob', 25],
      ['ann', 10],
      ['cy', 7],
    ]);
    const rank = await read(`/v1/boards/ladder/users/bob?period=season&season=s1&after=${token}`);
    expect(rank.body).toMatchObject({ rank: 1, score: 25, periodKey: 'season:s1' });

    // and a player's standings name the instances in progress: the season and the day after the reset
    const cy = await read(`/v1/users/cy?after=${token}`);
    expect(cy.body.boards).toEqual([
      { board: 'ladder', period: 'all', periodKey: 'all', rank: 3, score: 7, total: 3 },
      { board: 'ladder', period: 'daily', periodKey: today.body.periodKey, rank: 1, score: 7, total: 1 },
      { board: 'ladder', period: 'season', periodKey: 'season:s2', rank: 1, score: 7, total: 1 },
    ]);

    // and the seasons are listed with their players and leaders
    const listed = await read(`/v1/boards/ladder/seasons?after=${token}`);
    expect(listed.status).toBe(200);
    expect(listed.body.seasons).toMatchObject([
      { seasonId: 's1', status: 'ended', endsAt: resetBody.resetAt, players: 2, top: { userId: 'bob', score: 25 } },
      { seasonId: 's2', status: 'current', players: 1, top: { userId: 'cy', score: 7 } },
    ]);
    expect(listed.body.resets).toEqual([resetBody.resetAt]);
    const fromIngest = (await (await call(p.ingest, 'GET', '/v1/boards/ladder/seasons', GAME)).json()) as any;
    expect(fromIngest.seasons.map((s: { seasonId: string }) => s.seasonId)).toEqual(['s1', 's2']);
  });
});
