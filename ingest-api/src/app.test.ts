import { decodeConsistencyToken, MIN_OCCURRED_AT } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import { auth, fakeDeps, KEYS } from '../test/fake-deps.js';
import { createApp } from './app.js';
import { createRateLimiter } from './rate-limiter.js';

function setup(overrides: Parameters<typeof fakeDeps>[0] = {}) {
  const world = fakeDeps(overrides);
  const app = createApp(world.deps);
  const send = (method: string, path: string, body?: unknown, key: string = KEYS.both) =>
    app.request(path, {
      method,
      headers: { ...auth(key), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return { ...world, app, send };
}

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('POST /v1/events', () => {
  it('accepts one event, assigning eventId, board, op, periods and occurredAt, after publishing it', async () => {
    const { send, publisher, clock } = setup();
    const res = await send('POST', '/v1/events', { userId: 'alice', value: 5 });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(publisher.published).toEqual([
      {
        kind: 'score',
        event: {
          eventId: 'id-1',
          userId: 'alice',
          board: 'global',
          op: 'add',
          value: 5,
          occurredAt: clock.now,
          periods: [],
          source: null,
          metadata: null,
          limits: null,
          calendar: null,
          tiebreaks: [],
          region: null,
        },
      },
    ]);
    const { partition, offset } = body.events[0];
    expect(body).toEqual({
      accepted: 1,
      events: [{ eventId: 'id-1', partition, offset }],
      consistencyToken: expect.any(String),
    });
    expect(decodeConsistencyToken(body.consistencyToken)).toEqual({
      topic: 'score-events',
      offsets: { [partition]: offset + 1 },
    });
  });

  it('publishes a batch as one call in array order, and answers in that order', async () => {
    const { send, publisher } = setup();
    const events = [
      { eventId: 'a', userId: 'u1', value: 1 },
      { eventId: 'b', userId: 'u2', value: 2 },
      { eventId: 'c', userId: 'u1', value: 3, op: 'set' },
    ];
    const res = await send('POST', '/v1/events', { events });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(publisher.batches).toHaveLength(1);
    expect(publisher.published.map((e) => e.event.eventId)).toEqual(['a', 'b', 'c']);
    expect(body.events.map((e: { eventId: string }) => e.eventId)).toEqual(['a', 'b', 'c']);
    expect(body.accepted).toBe(3);
  });

  it("stamps op and periods from the board's definition; best is max on desc and min on asc", async () => {
    const { send, publisher } = setup();
    await send('PUT', '/v1/boards/speedrun', { order: 'asc', defaultOp: 'best', periods: ['weekly', 'daily'] });
    await send('PUT', '/v1/boards/arcade', { defaultOp: 'best' });
    const res = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', board: 'speedrun', value: 61_000 },
        { userId: 'u', board: 'arcade', value: 10 },
        { userId: 'u', board: 'speedrun', value: 1, op: 'add' },
        { userId: 'u', board: 'arcade', value: 1, op: 'best' },
      ],
    });
    expect(res.status).toBe(202);
    expect(
      publisher.published.map((e) => [(e.event as { op: string }).op, (e.event as { periods: string[] }).periods]),
    ).toEqual([
      ['min', ['daily', 'weekly']],
      ['max', []],
      ['add', ['daily', 'weekly']],
      ['max', []],
    ]);
  });

  it('takes occurredAt as RFC 3339 with an offset or as epoch ms, up to MAX_CLOCK_SKEW ahead', async () => {
    const { send, publisher, clock } = setup();
    const res = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', value: 1, occurredAt: '2026-11-23T13:00:00.250+01:00' },
        { userId: 'u', value: 1, occurredAt: clock.now + 5 * 60_000 },
        { userId: 'u', value: 1, occurredAt: MIN_OCCURRED_AT + 1 },
      ],
    });
    expect(res.status).toBe(202);
    expect(publisher.published.map((e) => e.event.occurredAt)).toEqual([
      Date.UTC(2026, 10, 23, 12, 0, 0, 250),
      clock.now + 5 * 60_000,
      MIN_OCCURRED_AT + 1,
    ]);
  });

  it('refuses occurredAt too far ahead or not after 2000-01-01, naming each item', async () => {
    const { send, publisher, clock } = setup();
    const res = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', value: 1 },
        { userId: 'u', value: 1, occurredAt: clock.now + 5 * 60_000 + 1 },
        { userId: 'u', value: 1, occurredAt: '2000-01-01T00:00:00Z' },
      ],
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'events.1.occurredAt',
      'events.2.occurredAt',
    ]);
    expect(publisher.published).toEqual([]);
  });

  it('is strict: no coercion, unknown fields named, the same eventId twice refused, all or nothing', async () => {
    const { send, publisher } = setup();
    const res = await send('POST', '/v1/events', {
      events: [
        { eventId: 'x', userId: 'u', value: 1 },
        { userId: 'u', value: '5' },
        { userId: 'u', value: 1, colour: 'red', periods: ['daily'] },
        { eventId: 'x', userId: 'u', value: 1 },
      ],
    });
    expect(res.status).toBe(400);
    const details = (await json(res)).error.details.map((d: { path: string }) => d.path);
    expect(details).toEqual(['events.1.value', 'events.2.colour', 'events.2.periods', 'events.3.eventId']);
    expect(publisher.published).toEqual([]);

    const dup = await send('POST', '/v1/events', {
      events: [
        { eventId: 'x', userId: 'u', value: 1 },
        { eventId: 'x', userId: 'v', value: 2 },
      ],
    });
    expect(dup.status).toBe(400);
    expect((await json(dup)).error.details).toEqual([
      { path: 'events.1.eventId', message: 'repeats the eventId of events.0.eventId' },
    ]);
  });

  it('lists the problems of every item in one answer, shape and clock alike', async () => {
    const { send, clock } = setup();
    const res = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', value: 1, occurredAt: clock.now + 3_600_000 },
        { userId: 'u', value: 'one' },
        { userId: 'u', value: 1, metadata: 'x'.repeat(2000) },
      ],
    });
    expect((await json(res)).error.details.map((d: { path: string }) => d.path)).toEqual([
      'events.1.value',
      'events.0.occurredAt',
      'events.2.metadata',
    ]);
  });

  it('names the field without an index for a single-event body', async () => {
    const { send } = setup();
    const res = await send('POST', '/v1/events', { userId: 'bad user', value: 1.5, extra: true });
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.map((d: { path: string }) => d.path)).toEqual(['userId', 'value', 'extra']);
  });

  it('carries metadata as JSON text, up to 1 KB', async () => {
    const { send, publisher } = setup();
    const ok = await send('POST', '/v1/events', { userId: 'u', value: 1, metadata: { level: 3, tags: ['a'] } });
    expect(ok.status).toBe(202);
    expect((publisher.published[0]!.event as { metadata: string }).metadata).toBe('{"level":3,"tags":["a"]}');
    const big = await send('POST', '/v1/events', { userId: 'u', value: 1, metadata: 'x'.repeat(1023) });
    expect(big.status).toBe(400);
    expect((await json(big)).error.details[0].path).toBe('metadata');
  });

  it('takes 1 to 1000 events per batch', async () => {
    const { send } = setup();
    const event = (i: number) => ({ userId: `u${i}`, value: i });
    expect((await send('POST', '/v1/events', { events: [] })).status).toBe(400);
    const tooMany = await send('POST', '/v1/events', { events: Array.from({ length: 1001 }, (_, i) => event(i)) });
    expect(tooMany.status).toBe(400);
    expect((await json(tooMany)).error.details[0].path).toBe('events');
    expect(
      (await send('POST', '/v1/events', { events: Array.from({ length: 1000 }, (_, i) => event(i)) })).status,
    ).toBe(202);
  });

  it('creates an unknown board with the defaults, or refuses it with STRICT_BOARDS', async () => {
    const open = setup();
    expect((await open.send('POST', '/v1/events', { userId: 'u', value: 1, board: 'new.board' })).status).toBe(202);
    expect(open.boards.rows.get('new.board')).toMatchObject({ order: 'desc', defaultOp: 'add', periods: [] });

    const strict = setup();
    strict.deps.limits.strictBoards = true;
    await strict.send('PUT', '/v1/boards/known', {});
    const res = await strict.send('POST', '/v1/events', {
      events: [
        { userId: 'u', value: 1, board: 'known' },
        { userId: 'u', value: 1, board: 'nope' },
      ],
    });
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.error.code).toBe('board_not_found');
    expect(body.error.details).toEqual([{ path: 'events.1.board', message: 'no board "nope"' }]);
    expect(strict.publisher.published).toEqual([]);
    expect(strict.boards.rows.has('nope')).toBe(false);
  });

  it('answers 503 with Retry-After when Kafka is unavailable', async () => {
    const { send, publisher } = setup();
    publisher.unavailable = true;
    const res = await send('POST', '/v1/events', { userId: 'u', value: 1 });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('5');
    expect((await json(res)).error.code).toBe('kafka_unavailable');
  });

  it('rate-limits per key in events with a burst of twice the rate, answering 429 with Retry-After', async () => {
    const world = fakeDeps();
    const { createRateLimiter } = await import('./rate-limiter.js');
    world.deps.rateLimiter = createRateLimiter({ ratePerS: 500, now: () => world.clock.now });
    const app = createApp(world.deps);
    const post = (n: number, key: string = KEYS.ingest) =>
      app.request('/v1/events', {
        method: 'POST',
        headers: auth(key),
        body: JSON.stringify({ events: Array.from({ length: n }, (_, i) => ({ userId: `u${i}`, value: 1 })) }),
      });
    expect((await post(1000)).status).toBe(202);
    const refused = await post(1);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Retry-After')).toBe('1');
    expect((await post(1, KEYS.both)).status).toBe(202); // another key has its own bucket
    world.clock.now += 1000;
    expect((await post(500)).status).toBe(202);
    expect((await post(1)).status).toBe(429);
  });

  it('refuses a body past MAX_BODY_BYTES with 413', async () => {
    const { send } = setup({
      limits: { maxBodyBytes: 1000, maxClockSkewMs: 5 * 60_000, strictBoards: false, unavailableRetryAfterS: 5 },
    });
    const res = await send('POST', '/v1/events', { userId: 'u', value: 1, source: 'x'.repeat(1000) });
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('payload_too_large');
  });

  it('answers malformed JSON with a 400', async () => {
    const { send } = setup();
    const res = await send('POST', '/v1/events', '{"userId": ');
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe('invalid_json');
  });
});

describe('auth', () => {
  it('refuses a missing or wrong key with 401 and a key without the scope with 403', async () => {
    const { app, send } = setup();
    const none = await app.request('/v1/events', { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(none.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect((await json(none)).error.code).toBe('unauthorized');
    expect((await send('POST', '/v1/events', { userId: 'u', value: 1 }, 'not-a-key')).status).toBe(401);
    const admin = await send('POST', '/v1/events', { userId: 'u', value: 1 }, KEYS.admin);
    expect(admin.status).toBe(403);
    expect((await json(admin)).error.code).toBe('forbidden');
    expect((await send('PUT', '/v1/boards/b', {}, KEYS.ingest)).status).toBe(403);
    expect((await send('PUT', '/v1/boards/b', {}, KEYS.admin)).status).toBe(201);
    expect((await send('GET', '/v1/boards/b', undefined, KEYS.ingest)).status).toBe(200);
    expect((await send('GET', '/v1/boards/b', undefined, KEYS.admin)).status).toBe(200);
  });
});

describe('boards', () => {
  it('creates, merges omitted fields, and refuses an order change with 409 order_immutable', async () => {
    const { send } = setup();
    const created = await send('PUT', '/v1/boards/golf', { order: 'asc', periods: ['monthly'] });
    expect(created.status).toBe(201);
    expect(await json(created)).toEqual({
      board: 'golf',
      order: 'asc',
      tiebreaks: [],
      defaultOp: 'add',
      periods: ['monthly'],
      maxEventsPerMinute: null,
      maxDelta: null,
      timeZone: 'UTC',
      weekStartsOn: 'monday',
      createdAt: new Date(2_000).toISOString(),
    });
    const updated = await send('PUT', '/v1/boards/golf', { defaultOp: 'best' });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({ order: 'asc', defaultOp: 'best', periods: ['monthly'] });
    expect((await send('PUT', '/v1/boards/golf', { order: 'asc' })).status).toBe(200);
    const conflict = await send('PUT', '/v1/boards/golf', { order: 'desc' });
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).error.code).toBe('order_immutable');
    expect(await json(await send('GET', '/v1/boards/golf'))).toMatchObject({ order: 'asc', defaultOp: 'best' });
  });

  it('validates the board id and the body, and answers 404 for an unknown board', async () => {
    const { send } = setup();
    const badId = await send('PUT', '/v1/boards/Not%20Valid', {});
    expect(badId.status).toBe(400);
    expect((await json(badId)).error.details[0].path).toBe('board');
    const badBody = await send('PUT', '/v1/boards/b', { order: 'up', periods: ['daily', 'daily'], x: 1 });
    expect((await json(badBody)).error.details.map((d: { path: string }) => d.path)).toEqual(['order', 'periods', 'x']);
    expect((await send('GET', '/v1/boards/missing')).status).toBe(404);
    const badCalendar = await send('PUT', '/v1/boards/b', { timeZone: 'Mars/Olympus_Mons', weekStartsOn: 'Sunday' });
    expect(badCalendar.status).toBe(400);
    expect((await json(badCalendar)).error.details.map((d: { path: string }) => d.path)).toEqual([
      'timeZone',
      'weekStartsOn',
    ]);
  });

  it('keeps tie-break columns fixed, refuses too many, and stamps each value with its column op', async () => {
    const { send, publisher } = setup();
    const columns = [
      { order: 'asc', op: 'min' },
      { order: 'desc', op: 'add' },
    ];
    expect((await send('PUT', '/v1/boards/race', { order: 'asc', tiebreaks: columns })).status).toBe(201);
    const changed = await send('PUT', '/v1/boards/race', { tiebreaks: [{ order: 'asc', op: 'min' }] });
    expect(changed.status).toBe(409);
    expect((await json(changed)).error).toMatchObject({
      code: 'tiebreaks_immutable',
      details: [{ path: 'tiebreaks' }],
    });
    expect((await send('PUT', '/v1/boards/race', { tiebreaks: columns })).status).toBe(200);
    const five = Array(5).fill({ order: 'asc', op: 'set' });
    const tooManyColumns = await send('PUT', '/v1/boards/other', { tiebreaks: five });
    expect(tooManyColumns.status).toBe(400);
    expect((await json(tooManyColumns)).error.details[0].path).toBe('tiebreaks');

    const misfits = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', board: 'race', value: 31, tiebreaks: [1, 2] },
        { userId: 'u', board: 'race', value: 31, tiebreaks: [1, 2, 3] },
        { userId: 'u', board: 'race', value: 31, tiebreaks: [1] },
        { userId: 'u', board: 'race', value: 31 },
        { userId: 'u', board: 'plain', value: 31, tiebreaks: [1] },
      ],
    });
    expect(misfits.status).toBe(400);
    const each = 'board race ranks ties by 2 columns: give a value for each';
    expect((await json(misfits)).error.details).toEqual([
      { path: 'events.4.tiebreaks', message: 'board plain has no tie-break columns' },
    ]);
    // the board those values named was not created by the refused request
    expect((await send('GET', '/v1/boards/plain')).status).toBe(404);
    const short = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', board: 'race', value: 31, tiebreaks: [1, 2, 3] },
        { userId: 'u', board: 'race', value: 31, tiebreaks: [1] },
        { userId: 'u', board: 'race', value: 31 },
      ],
    });
    expect((await json(short)).error.details).toEqual([
      { path: 'events.0.tiebreaks', message: each },
      { path: 'events.1.tiebreaks', message: each },
      { path: 'events.2.tiebreaks', message: each },
    ]);
    expect(publisher.published).toEqual([]);
    await send('POST', '/v1/events', { userId: 'u', board: 'race', value: 31, tiebreaks: [2, 5] });
    expect((publisher.published[0]!.event as { tiebreaks: unknown }).tiebreaks).toEqual([
      { value: 2, op: 'min' },
      { value: 5, op: 'add' },
    ]);
    // a profile's initialScore cannot give the columns' values
    const initial = await send('POST', '/v1/users', { username: 'Kai', initialScore: 30, board: 'race' });
    expect(initial.status).toBe(400);
    expect((await json(initial)).error.details[0].path).toBe('initialScore');
  });

  it("stamps the board's calendar on its events, and refuses to change it once periods are kept", async () => {
    const { send, publisher } = setup();
    await send('POST', '/v1/events', { userId: 'u', value: 1, board: 'local' });
    const defined = await send('PUT', '/v1/boards/local', {
      timeZone: 'America/New_York',
      weekStartsOn: 'sunday',
      periods: ['daily', 'weekly'],
    });
    expect(defined.status).toBe(200);
    await send('POST', '/v1/events', { userId: 'u', value: 2, board: 'local' });
    expect(publisher.published.map((e) => (e.event as { calendar: unknown }).calendar)).toEqual([
      null,
      { timeZone: 'America/New_York', weekStartsOn: 'sunday' },
    ]);
    const conflict = await send('PUT', '/v1/boards/local', { timeZone: 'Europe/Paris' });
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).error).toMatchObject({
      code: 'calendar_immutable',
      details: [{ path: 'timeZone', message: 'must be America/New_York' }],
    });
  });

  it('applies a changed board to the next event', async () => {
    const { send, publisher } = setup();
    await send('POST', '/v1/events', { userId: 'u', value: 1, board: 'b' });
    await send('PUT', '/v1/boards/b', { defaultOp: 'set', periods: ['daily'] });
    await send('POST', '/v1/events', { userId: 'u', value: 2, board: 'b' });
    expect(
      publisher.published.map((e) => [(e.event as { op: string }).op, (e.event as { periods: string[] }).periods]),
    ).toEqual([
      ['add', []],
      ['set', ['daily']],
    ]);
  });
});

describe('users', () => {
  it('publishes the profile event, then a set score event for initialScore', async () => {
    const { send, publisher, clock } = setup();
    await send('PUT', '/v1/boards/weekly', { periods: ['weekly'] });
    const res = await send('POST', '/v1/users', { username: 'Ada', region: 'eu', initialScore: 100, board: 'weekly' });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body.userId).toBe('id-1');
    expect(body.accepted).toBe(2);
    expect(publisher.published).toEqual([
      {
        kind: 'profile',
        event: {
          eventId: 'id-2',
          userId: 'id-1',
          username: 'Ada',
          imageUrl: null,
          region: 'eu',
          occurredAt: clock.now,
        },
      },
      {
        kind: 'score',
        event: {
          eventId: 'id-3',
          userId: 'id-1',
          board: 'weekly',
          op: 'set',
          value: 100,
          occurredAt: clock.now,
          periods: ['weekly'],
          source: 'initialScore',
          metadata: null,
          limits: null,
          calendar: null,
          tiebreaks: [],
        },
      },
    ]);
    expect(body.events.map((e: { eventId: string }) => e.eventId)).toEqual(['id-2', 'id-3']);
  });

  it('refuses board without initialScore with a 400 naming board, for POST and PUT', async () => {
    const { send, publisher } = setup();
    const post = await send('POST', '/v1/users', { userId: 'g', username: 'G', board: 'b' });
    const put = await send('PUT', '/v1/users/g', { username: 'G', board: 'b' });
    for (const res of [post, put]) {
      expect(res.status).toBe(400);
      expect((await json(res)).error.details).toEqual([{ path: 'board', message: 'only applies with initialScore' }]);
    }
    expect(publisher.published).toEqual([]);
  });

  it('answers 409 for a second POST of the same userId, publishing nothing', async () => {
    const { send, publisher } = setup();
    expect((await send('POST', '/v1/users', { userId: 'bob', username: 'Bob' })).status).toBe(202);
    const again = await send('POST', '/v1/users', { userId: 'bob', username: 'Robert' });
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('user_exists');
    expect(publisher.published).toHaveLength(1);
  });

  it('merges a PUT: omitted fields keep their value, null clears one', async () => {
    const { send, publisher, profiles } = setup();
    await send('POST', '/v1/users', {
      userId: 'c',
      username: 'Cy',
      imageUrl: 'https://img.example/c.png',
      region: 'eu',
    });
    expect((await send('PUT', '/v1/users/c', { region: null })).status).toBe(202);
    expect(publisher.published.at(-1)!.event).toMatchObject({
      username: 'Cy',
      imageUrl: 'https://img.example/c.png',
      region: null,
    });
    expect(profiles.rows.get('c')).toEqual({
      userId: 'c',
      username: 'Cy',
      imageUrl: 'https://img.example/c.png',
      region: null,
    });
    const noName = await send('PUT', '/v1/users/new-user', { region: 'us' });
    expect(noName.status).toBe(400);
    expect((await json(noName)).error.details[0].path).toBe('username');
    expect((await send('PUT', '/v1/users/c', { username: null })).status).toBe(400);
  });

  it('records nothing when publishing fails, not even the board of initialScore, so a retry of the POST is not a 409', async () => {
    const { send, publisher, profiles, boards } = setup();
    const user = { userId: 'd', username: 'Di', initialScore: 3, board: 'fresh' };
    publisher.unavailable = true;
    expect((await send('POST', '/v1/users', user)).status).toBe(503);
    expect(profiles.rows.has('d')).toBe(false);
    expect(boards.rows.has('fresh')).toBe(false);
    publisher.unavailable = false;
    expect((await send('POST', '/v1/users', user)).status).toBe(202);
    expect(boards.rows.get('fresh')).toMatchObject({ order: 'desc', defaultOp: 'add', periods: [] });
  });

  it("answers 429 past the key's event rate, creating no board and publishing nothing", async () => {
    const { send, publisher, profiles, boards } = setup({
      rateLimiter: createRateLimiter({ ratePerS: 500, now: () => 0 }),
    });
    const burst = { events: Array.from({ length: 1000 }, (_, i) => ({ userId: `u${i}`, value: 1 })) };
    expect((await send('POST', '/v1/events', burst)).status).toBe(202);
    const refused = await send('POST', '/v1/users', { userId: 'f', username: 'Fi', initialScore: 3, board: 'fresh' });
    expect(refused.status).toBe(429);
    expect([...boards.rows.keys()]).toEqual(['global']);
    expect(profiles.rows.size).toBe(0);
    expect(publisher.published).toHaveLength(1000);
  });

  it('serialises concurrent writes for one user: the last published profile is the recorded one', async () => {
    const { send, publisher, profiles } = setup();
    await send('POST', '/v1/users', { userId: 'e', username: 'E' });
    const results = await Promise.all([
      send('PUT', '/v1/users/e', { region: 'eu' }),
      send('PUT', '/v1/users/e', { imageUrl: 'https://img.example/e.png' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([202, 202]);
    expect(publisher.published.at(-1)!.event).toMatchObject({ region: 'eu', imageUrl: 'https://img.example/e.png' });
    expect(profiles.rows.get('e')).toMatchObject({ region: 'eu', imageUrl: 'https://img.example/e.png' });
  });
});

describe('the HTTP surface', () => {
  it('answers unknown routes 404 and wrong methods 405, in the JSON error shape', async () => {
    const { app, send } = setup();
    const missing = await app.request('/v1/nope');
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({
      error: { code: 'not_found', message: 'no route for GET /v1/nope', details: [] },
    });
    const wrong = await send('DELETE', '/v1/events');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('Allow')).toBe('POST');
    expect((await json(wrong)).error.code).toBe('method_not_allowed');
    expect((await send('DELETE', '/v1/boards/b')).status).toBe(405);
    expect((await send('GET', '/v1/users/u')).status).toBe(405);
  });

  it('serves an OpenAPI document generated from the request schemas, and a docs page', async () => {
    const { app } = setup();
    const doc = await json(await app.request('/openapi.json'));
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/admin/audit',
      '/v1/boards/{board}',
      '/v1/boards/{board}/reset',
      '/v1/boards/{board}/seasons',
      '/v1/boards/{board}/users/{userId}',
      '/v1/events',
      '/v1/users',
      '/v1/users/{userId}',
      '/v1/users/{userId}/ban',
    ]);
    expect(Object.keys(doc.paths['/v1/users/{userId}/ban']).sort()).toEqual(['delete', 'post']);
    expect(Object.keys(doc.paths['/v1/users/{userId}']).sort()).toEqual(['delete', 'put']);
    expect(doc.components.schemas.ScoreEventRequest.additionalProperties).toBe(false);
    expect((await app.request('/docs')).status).toBe(200);
  });

  it('counts requests by route and status, accepted events and produce latency', async () => {
    const { app, send } = setup();
    await send('POST', '/v1/events', {
      events: [
        { userId: 'u', value: 1 },
        { userId: 'v', value: 2 },
      ],
    });
    await send('POST', '/v1/events', { userId: 'u', value: '1' });
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/ingest_http_requests_total\{route="\/v1\/events",method="POST",status="202"[^}]*\} 1/);
    expect(text).toMatch(/ingest_http_requests_total\{route="\/v1\/events",method="POST",status="400"[^}]*\} 1/);
    expect(text).toMatch(/ingest_events_accepted_total\{kind="score"[^}]*\} 2/);
    expect(text).toMatch(/ingest_produce_duration_seconds_count\{[^}]*outcome="ok"[^}]*\} 1/);
  });
});
