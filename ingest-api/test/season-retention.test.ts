import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { call, type Pipeline, startPipeline } from './service-calls.js';

const ADMIN = 'retention-admin';
const GAME = 'retention-game';
const HOUR = 3_600_000;
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('ingest_season_keep', `admin:${sha256Hex(ADMIN)}:admin,game:${sha256Hex(GAME)}:ingest`, 2, {
    REDIS_KEEP_PERIODS: '1',
  });
});
afterAll(async () => p?.stop());

describe('Redis keeps the newest seasons only (REDIS_KEEP_PERIODS)', () => {
  it('serves a season past the newest from PostgreSQL with the same answers, the newest from Redis', async () => {
    // given a board with a season in progress and the next one starting in a few seconds
    // (a season cannot be defined in the past; events may occur up to MAX_CLOCK_SKEW ahead)
    expect((await call(p.ingest, 'PUT', '/v1/boards/cup', ADMIN, {})).status).toBe(201);
    const now = Date.now();
    const seasons = [
      { seasonId: 'old', startsAt: now - 60_000, endsAt: now + 5_000 },
      { seasonId: 'cur', startsAt: now + 5_000, endsAt: now + HOUR },
    ];
    for (const s of seasons)
      expect((await call(p.ingest, 'POST', '/v1/boards/cup/seasons', ADMIN, s)).status).toBe(201);

    // when players score in both (ann in the EU view too)
    const posted = await call(p.ingest, 'POST', '/v1/events', GAME, {
      events: seasons.flatMap((s, i) => [
        { userId: 'ann', board: 'cup', value: 10 + i, occurredAt: s.startsAt + 1_000, region: 'EU' },
        { userId: 'bob', board: 'cup', value: 20 + i, occurredAt: s.startsAt + 1_000 },
      ]),
    });
    expect(posted.status).toBe(202);
    const { consistencyToken } = (await posted.json()) as { consistencyToken: string };

    // and the second season has begun, so that the first is no longer among the newest one
    await new Promise((r) => setTimeout(r, Math.max(0, now + 5_500 - Date.now())));

    // then the query API reads the first from PostgreSQL, the second from Redis, with one shape
    const read = async (query: string) => {
      const res = await fetch(`${p.query.url}/v1/boards/cup/top?period=season&${query}&after=${consistencyToken}`);
      const body = (await res.json()) as { periodKey: string; entries: { userId: string; score: number }[] };
      return {
        servedBy: res.headers.get('x-served-by'),
        periodKey: body.periodKey,
        entries: body.entries.map((e) => [e.userId, e.score]),
      };
    };
    expect(await read('season=old')).toEqual({
      servedBy: 'postgres',
      periodKey: 'season:old',
      entries: [
        ['bob', 20],
        ['ann', 10],
      ],
    });
    expect(await read('season=old&region=EU')).toMatchObject({ servedBy: 'postgres', entries: [['ann', 10]] });
    expect(await read('season=cur')).toEqual({
      servedBy: 'redis',
      periodKey: 'season:cur',
      entries: [
        ['bob', 21],
        ['ann', 11],
      ],
    });
    expect(await read('season=cur&region=EU')).toMatchObject({ servedBy: 'redis', entries: [['ann', 11]] });
  });
});
