import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { call, eventually, type Pipeline, startPipeline } from './service-calls.js';

const GAME = 'calendar-game';
const OPS = 'calendar-ops';
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('ingest_calendar', `game:${sha256Hex(GAME)}:ingest,ops:${sha256Hex(OPS)}:admin`);
});
afterAll(async () => p?.stop());

/** The local date in a zone as Intl prints it, independently of the services' period code. */
function localDate(timeZone: string, ms: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

// A day apart for 23 hours of every 24: Line Islands UTC+14, American Samoa UTC-11.
const ZONES = { 'far-east': 'Pacific/Kiritimati', 'far-west': 'Pacific/Pago_Pago' } as const;

describe("a board's calendar through the HTTP API", () => {
  it('names the current daily period by the board’s time zone, in answers and in the user’s standings', async () => {
    // given two boards keeping dailies at opposite ends of the date line, and a score on each
    for (const [board, timeZone] of Object.entries(ZONES)) {
      const put = await call(p.ingest, 'PUT', `/v1/boards/${board}`, OPS, {
        timeZone,
        weekStartsOn: 'sunday',
        periods: ['daily'],
      });
      expect(put.status).toBe(201);
      expect(await put.json()).toMatchObject({ timeZone, weekStartsOn: 'sunday', periods: ['daily'] });
    }
    const posted = await call(p.ingest, 'POST', '/v1/events', GAME, {
      events: Object.keys(ZONES).map((board) => ({ userId: 'kai', board, value: 7 })),
    });
    expect(posted.status).toBe(202);
    const { consistencyToken } = (await posted.json()) as { consistencyToken: string };

    // then each board's daily is today on its own calendar, read with the token or by that date
    for (const [board, timeZone] of Object.entries(ZONES)) {
      const today = localDate(timeZone, Date.now());
      const res = await fetch(`${p.query.url}/v1/boards/${board}/top?period=daily&after=${consistencyToken}`);
      const body = (await res.json()) as { periodKey: string; entries: { userId: string; score: number }[] };
      // (a read a moment before local midnight may name the day just ended: allow for it)
      if (body.periodKey !== `daily:${today}`)
        expect(body.periodKey).toBe(`daily:${localDate(timeZone, Date.now() - 60_000)}`);
      expect(body.entries).toMatchObject([{ userId: 'kai', score: 7 }]);
      const byDate = await (
        await fetch(`${p.query.url}/v1/boards/${board}/top?period=daily&at=${body.periodKey.slice(6)}`)
      ).json();
      expect(byDate).toMatchObject({ periodKey: body.periodKey, entries: [{ userId: 'kai', score: 7 }] });
    }
    const standings = await eventually(
      async () =>
        (await (await fetch(`${p.query.url}/v1/users/kai`)).json()) as {
          boards: { board: string; periodKey: string }[];
        },
      (b) => b.boards?.length === 4,
    );
    expect(standings.boards.map((b) => `${b.board} ${b.periodKey.slice(0, 5)}`)).toEqual([
      'far-east all',
      'far-east daily',
      'far-west all',
      'far-west daily',
    ]);
    const dates = standings.boards.filter((b) => b.periodKey !== 'all').map((b) => b.periodKey);
    expect(dates[0]! > dates[1]!).toBe(true);

    // and the boards list says each one's calendar
    const boards = (await (await fetch(`${p.query.url}/v1/boards`)).json()) as { boards: object[] };
    expect(boards.boards).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ board: 'far-east', timeZone: 'Pacific/Kiritimati', weekStartsOn: 'sunday' }),
        expect.objectContaining({ board: 'far-west', timeZone: 'Pacific/Pago_Pago', weekStartsOn: 'sunday' }),
      ]),
    );

    // and the calendar stays as it is while the board keeps periods
    const moved = await call(p.ingest, 'PUT', '/v1/boards/far-east', OPS, { timeZone: 'UTC' });
    expect(moved.status).toBe(409);
    expect(await moved.json()).toMatchObject({
      error: { code: 'calendar_immutable', details: [{ path: 'timeZone' }] },
    });
  });
});
