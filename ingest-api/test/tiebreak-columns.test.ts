import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { call, type Pipeline, startPipeline } from './service-calls.js';

const GAME = 'tiebreak-game';
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('ingest_tiebreaks', `game:${sha256Hex(GAME)}:ingest+admin`);
});
afterAll(async () => p?.stop());

describe('tie-break columns through the HTTP API', () => {
  it('ranks equal laps by fewer crashes, then by more laps driven, and names the values in each entry', async () => {
    // given a racing board: best lap (asc, min), then fewest crashes (asc, min), then laps driven (desc, add)
    const columns = [
      { order: 'asc', op: 'min' },
      { order: 'desc', op: 'add' },
    ];
    const created = await call(p.ingest, 'PUT', '/v1/boards/race', GAME, {
      order: 'asc',
      defaultOp: 'best',
      tiebreaks: columns,
    });
    expect(await created.json()).toMatchObject({ order: 'asc', tiebreaks: columns });

    // when three drivers post the same best lap with different crashes and laps
    const posted = await call(p.ingest, 'POST', '/v1/events', GAME, {
      events: [
        { userId: 'ann', board: 'race', value: 61_000, tiebreaks: [2, 10] },
        { userId: 'bob', board: 'race', value: 61_000, tiebreaks: [1, 5] },
        { userId: 'cy', board: 'race', value: 61_000, tiebreaks: [1, 8] },
        { userId: 'ann', board: 'race', value: 62_000, tiebreaks: [1, 3] },
      ],
    });
    expect(posted.status).toBe(202);
    const { consistencyToken } = (await posted.json()) as { consistencyToken: string };

    // then cy (1 crash, 8 laps) leads bob (1 crash, 5 laps) and ann (her best crashes 1, laps 13)
    const res = await fetch(`${p.query.url}/v1/boards/race/top?after=${consistencyToken}`);
    const top = (await res.json()) as { entries: { userId: string; score: number; tiebreaks: number[] }[] };
    expect(top.entries.map((e) => [e.userId, e.score, e.tiebreaks])).toEqual([
      ['ann', 61_000, [1, 13]],
      ['cy', 61_000, [1, 8]],
      ['bob', 61_000, [1, 5]],
    ]);
    const ann = await (await fetch(`${p.query.url}/v1/boards/race/users/ann`)).json();
    expect(ann).toMatchObject({ rank: 1, tiebreaks: [1, 13] });

    // and too many values for the board are refused, naming the field
    const tooMany = await call(p.ingest, 'POST', '/v1/events', GAME, {
      userId: 'dee',
      board: 'race',
      value: 60_000,
      tiebreaks: [1, 2, 3],
    });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as any).error.details[0]).toMatchObject({ path: 'tiebreaks' });
  });
});
