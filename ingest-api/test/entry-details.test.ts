import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { call, type Pipeline, startPipeline } from './service-calls.js';

const GAME = 'details-game';
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('ingest_details', `game:${sha256Hex(GAME)}:ingest+admin`);
});
afterAll(async () => p?.stop());

async function post(events: object[]): Promise<string> {
  const res = await call(p.ingest, 'POST', '/v1/events', GAME, { events });
  expect(res.status).toBe(202);
  return ((await res.json()) as { consistencyToken: string }).consistencyToken;
}

async function read(path: string, token: string): Promise<any> {
  const res = await fetch(`${p.query.url}${path}${path.includes('?') ? '&' : '?'}after=${token}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe("entries' details through the HTTP API", () => {
  it("keeps the latest applied event's metadata per entry, sealed on the way, and answers it when asked", async () => {
    // given a racing board where each run's car and lap times travel as metadata
    expect(
      (await call(p.ingest, 'PUT', '/v1/boards/race', GAME, { defaultOp: 'best', periods: ['daily'] })).status,
    ).toBe(201);
    await post([
      { userId: 'ann', board: 'race', value: 90, metadata: { car: 'red', laps: [31, 30] } },
      { userId: 'bob', board: 'race', value: 80, metadata: { car: 'blue|fast' } },
      { userId: 'ann', board: 'race', value: 70, metadata: { car: 'green' } },
    ]);
    const token = await post([{ userId: 'cy', board: 'race', value: 60 }]);

    // then entries carry the details of their latest event (on a best board too), null without any
    const top = await read('/v1/boards/race/top?details=true', token);
    expect(top.entries.map((e: { userId: string; details: unknown }) => [e.userId, e.details])).toEqual([
      ['ann', { car: 'green' }],
      ['bob', { car: 'blue|fast' }],
      ['cy', null],
    ]);
    // and not unless asked
    expect((await read('/v1/boards/race/top', token)).entries[0]).not.toHaveProperty('details');
    expect(await read('/v1/boards/race/users/bob?details=true&period=daily', token)).toMatchObject({
      rank: 2,
      details: { car: 'blue|fast' },
    });
    const around = await read('/v1/boards/race/users/bob/around?radius=1&details=true', token);
    expect(around.entries.map((e: { details: unknown }) => e.details)).toEqual([
      { car: 'green' },
      { car: 'blue|fast' },
      null,
    ]);
    const ranks = await read('/v1/boards/race/ranks?userIds=cy,ann&details=true', token);
    expect(ranks.entries.map((e: { details: unknown }) => e.details)).toEqual([{ car: 'green' }, null]);

    // when ann's next event has no metadata, her details go
    const later = await post([{ userId: 'ann', board: 'race', value: 95 }]);
    expect((await read('/v1/boards/race/users/ann?details=true', later)).details).toBeNull();

    // and the projection holds the metadata opened (the ingest API sealed it with the user's key)
    const db = new pg.Pool({ connectionString: p.env.databaseUrl, max: 1 });
    try {
      const { rows } = await db.query(
        'SELECT period_key FROM totals WHERE details = \'{"car":"blue|fast"}\' ORDER BY 1',
      );
      expect(rows.map((r) => r.period_key)).toEqual(['all', expect.stringMatching(/^daily:/)]);
    } finally {
      await db.end();
    }
  });
});
