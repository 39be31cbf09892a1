import { freePort, startService } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { call, type Pipeline, startPipeline } from './service-calls.js';

const GAME = 'region-game';
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('ingest_regions', `game:${sha256Hex(GAME)}:ingest+admin`);
});
afterAll(async () => p?.stop());

const read = async (path: string) => {
  const res = await fetch(`${p.query.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};
const names = (body: { entries: { userId: string; score: number; rank: number }[] }) =>
  body.entries.map((e) => [e.rank, e.userId, e.score]);

async function post(path: string, body: unknown): Promise<string> {
  const res = await call(p.ingest, 'POST', path, GAME, body);
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { consistencyToken: string }).consistencyToken;
}

describe('regional views through the HTTP API', () => {
  it("ranks each region's players among themselves, and moves a player when their region changes", async () => {
    // given a board, ann in EU by her profile, bob in ASIA and cy in EU by their events, dee nowhere
    expect((await call(p.ingest, 'PUT', '/v1/boards/arena', GAME, { periods: ['daily'] })).status).toBe(201);
    await post('/v1/users', { userId: 'ann', username: 'Ann', region: 'eu' });
    const token = await post('/v1/events', {
      events: [
        { userId: 'ann', board: 'arena', value: 10 },
        { userId: 'bob', board: 'arena', value: 5, region: 'ASIA' },
        { userId: 'cy', board: 'arena', value: 7, region: 'EU' },
        { userId: 'dee', board: 'arena', value: 30 },
      ],
    });

    // then each region ranks its own players, with ranks within it, in every read
    const eu = await read(`/v1/boards/arena/top?region=eu&after=${token}`);
    expect(eu.body).toMatchObject({ region: 'EU', periodKey: 'all@EU', total: 2 });
    expect(names(eu.body)).toEqual([
      [1, 'ann', 10],
      [2, 'cy', 7],
    ]);
    expect(names((await read('/v1/boards/arena/top?region=ASIA')).body)).toEqual([[1, 'bob', 5]]);
    expect((await read('/v1/boards/arena/users/cy?region=EU')).body).toMatchObject({ rank: 2, total: 2 });
    expect((await read('/v1/boards/arena/users/dee?region=EU')).status).toBe(404);
    const daily = await read('/v1/boards/arena/users/cy/around?region=EU&period=daily&radius=1');
    expect(names(daily.body)).toEqual([
      [1, 'ann', 10],
      [2, 'cy', 7],
    ]);
    const ranks = await read('/v1/boards/arena/ranks?userIds=ann,bob&region=EU');
    expect(ranks.body).toMatchObject({ unknownUserIds: ['bob'] });
    expect((await read('/v1/boards/arena/top?region=not%20a%20region')).status).toBe(400);
    const boards = await read('/v1/boards');
    expect(boards.body.boards.find((b: { board: string }) => b.board === 'arena').regions).toEqual([
      { region: 'ASIA', players: 1 },
      { region: 'EU', players: 2 },
    ]);

    // when bob's next event names EU, his entry moves there with his whole score
    const moved = await post('/v1/events', { userId: 'bob', board: 'arena', value: 1, region: 'EU' });
    const after = await read(`/v1/boards/arena/top?region=EU&after=${moved}`);
    expect(names(after.body)).toEqual([
      [1, 'ann', 10],
      [2, 'cy', 7],
      [3, 'bob', 6],
    ]);
    expect((await read(`/v1/boards/arena/top?region=ASIA&after=${moved}`)).body.entries).toEqual([]);
    const regions = (await read(`/v1/boards?after=${moved}`)).body.boards.find(
      (b: { board: string }) => b.board === 'arena',
    ).regions;
    expect(regions).toEqual([{ region: 'EU', players: 3 }]);
    // and a cursor of one region's pages does not page another's
    const page = await read(`/v1/boards/arena/top?region=EU&limit=1&after=${moved}`);
    const next = await read(`/v1/boards/arena/top?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.status).toBe(400);
    expect(names((await read(`/v1/boards/arena/top?region=EU&limit=1&cursor=${page.body.nextCursor}`)).body)).toEqual([
      [2, 'cy', 7],
    ]);

    // and PostgreSQL answers every regional read byte for byte as Redis does (a query API whose
    // Redis is unreachable serves from PostgreSQL alone)
    const pgOnly = await startService(
      'query-api',
      { ...p.env.env, REDIS_URL: 'redis://127.0.0.1:1' },
      { port: await freePort() },
    );
    try {
      for (const path of [
        '/v1/boards',
        '/v1/boards/arena/top?region=EU',
        '/v1/boards/arena/top?region=EU&period=daily&limit=2',
        '/v1/boards/arena/users/bob?region=EU',
        '/v1/boards/arena/users/cy/around?region=eu&radius=1',
        '/v1/boards/arena/ranks?userIds=ann,bob,dee&region=EU',
      ]) {
        const fromRedis = await fetch(`${p.query.url}${path}`);
        const fromPostgres = await fetch(`${pgOnly.url}${path}`);
        expect([path, fromRedis.headers.get('x-served-by'), fromPostgres.headers.get('x-served-by')]).toEqual([
          path,
          'redis',
          'postgres',
        ]);
        expect(await fromPostgres.text()).toBe(await fromRedis.text());
      }
    } finally {
      await pgOnly.stop();
    }
  });
});
