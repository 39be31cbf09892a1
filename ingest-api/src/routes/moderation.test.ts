import { EMPTY_SCHEDULE } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import { auth, fakeDeps, KEYS } from '../../test/fake-deps.js';
import { createApp } from '../app.js';

function world() {
  const fake = fakeDeps();
  fake.boards.rows.set('global', {
    board: 'global',
    order: 'desc',
    defaultOp: 'add',
    periods: ['daily'],
    timeZone: 'UTC',
    weekStartsOn: 'monday',
    calendarFixed: true,
    tiebreaks: [],
    maxEventsPerMinute: null,
    maxDelta: null,
    schedule: EMPTY_SCHEDULE,
    createdAt: 1_000,
  });
  return { ...fake, app: createApp(fake.deps) };
}

const postJson = (key: string, body: unknown) => ({
  method: 'POST',
  headers: { ...auth(key), 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('moderation routes', () => {
  it('publishes a removal of one instance keyed by the user, naming the key that asked', async () => {
    const { app, publisher, clock } = world();
    const res = await app.request('/v1/boards/global/users/u1?period=daily&reason=cheating', {
      method: 'DELETE',
      headers: auth(KEYS.admin),
    });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toMatchObject({
      action: 'remove_entry',
      userId: 'u1',
      board: 'global',
      periodKey: 'daily:2026-11-23',
    });
    expect(publisher.published).toEqual([
      {
        kind: 'admin',
        event: {
          eventId: body.eventId,
          action: 'remove_entry',
          userId: 'u1',
          board: 'global',
          periodKey: 'daily:2026-11-23',
          actor: 'adm',
          reason: 'cheating',
          occurredAt: clock.now,
        },
      },
    ]);
  });

  it('refuses bad input naming the field, a missing admin scope and an unknown board, publishing nothing', async () => {
    const { app, publisher } = world();
    const cases: [string, string, number, string | undefined][] = [
      ['DELETE', '/v1/boards/global/users/u1?period=weekly', 400, 'period'],
      ['DELETE', '/v1/boards/global/users/u1?at=2026-11-23T00:00:00Z', 400, 'at'],
      ['DELETE', '/v1/boards/global/users/u1?period=hourly', 400, 'period'],
      ['DELETE', '/v1/boards/Bad!/users/u1', 400, 'board'],
      ['DELETE', '/v1/boards/global/users/bad%20id', 400, 'userId'],
      ['DELETE', '/v1/boards/nope/users/u1', 404, undefined],
      ['POST', '/v1/users/bad%20id/ban', 400, 'userId'],
    ];
    for (const [method, path, status, field] of cases) {
      const res = await app.request(path, { method, headers: auth(KEYS.admin) });
      expect(res.status, path).toBe(status);
      const { error } = await json(res);
      if (field)
        expect(
          error.details.map((d: { path: string }) => d.path),
          path,
        ).toContain(field);
    }
    const long = await app.request('/v1/users/u1/ban', {
      method: 'POST',
      headers: { ...auth(KEYS.admin), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x'.repeat(300) }),
    });
    expect(long.status).toBe(400);
    expect((await json(long)).error.details[0].path).toBe('reason');
    const adminPaths: [string, string][] = [
      ['DELETE', '/v1/boards/global/users/u1'],
      ['POST', '/v1/users/u1/ban'],
      ['DELETE', '/v1/users/u1/ban'],
      ['GET', '/v1/admin/audit'],
    ];
    for (const [method, path] of adminPaths) {
      expect((await app.request(path, { method, headers: auth(KEYS.ingest) })).status, path).toBe(403);
      expect((await app.request(path, { method })).status, path).toBe(401);
    }
    expect(publisher.published).toEqual([]);
  });

  it("refuses a banned user's score events with 403 naming each one, until the ban is lifted", async () => {
    const { app, publisher } = world();
    expect((await app.request('/v1/users/cheat/ban', { method: 'POST', headers: auth(KEYS.admin) })).status).toBe(202);
    const post = () =>
      app.request(
        '/v1/events',
        postJson(KEYS.ingest, {
          events: [
            { userId: 'fair', value: 1 },
            { userId: 'cheat', value: 9 },
          ],
        }),
      );
    const refused = await post();
    expect(refused.status).toBe(403);
    const { error } = await json(refused);
    expect([error.code, error.details]).toEqual([
      'user_banned',
      [{ path: 'events.1.userId', message: 'this user is banned' }],
    ]);
    const initial = await app.request(
      '/v1/users',
      postJson(KEYS.ingest, { userId: 'cheat', username: 'c', initialScore: 5 }),
    );
    expect(initial.status).toBe(403);
    expect(publisher.published.map((e) => e.kind)).toEqual(['admin']);
    expect((await app.request('/v1/users/cheat/ban', { method: 'DELETE', headers: auth(KEYS.admin) })).status).toBe(
      202,
    );
    expect((await post()).status).toBe(202);
  });

  it('lists the audit with its filters and a bounded limit', async () => {
    const { app, audit } = world();
    const entry = (eventId: string, userId: string, board: string | null, occurredAt: number) => ({
      eventId,
      action: board ? 'remove_entry' : 'ban',
      userId,
      board,
      periodKey: null,
      actor: 'adm',
      reason: null,
      occurredAt,
      removed: board ? 1 : 0,
      partition: 0,
      offset: 1,
    });
    audit.entries.push(entry('a2', 'u1', 'global', 2_000), entry('a1', 'u2', null, 1_000));
    const list = async (query: string) => {
      const res = await app.request(`/v1/admin/audit${query}`, { headers: auth(KEYS.admin) });
      return [
        res.status,
        res.status === 200 ? (await json(res)).entries.map((e: { eventId: string }) => e.eventId) : null,
      ];
    };
    expect(await list('')).toEqual([200, ['a2', 'a1']]);
    expect(await list('?userId=u2')).toEqual([200, ['a1']]);
    expect(await list('?board=global')).toEqual([200, ['a2']]);
    expect(await list('?before=2000')).toEqual([200, ['a1']]);
    expect(await list('?limit=1')).toEqual([200, ['a2']]);
    // a page boundary inside one millisecond loses nothing
    audit.entries.push(entry('a0', 'u3', null, 1_000));
    const first = await json(await app.request('/v1/admin/audit?limit=2', { headers: auth(KEYS.admin) }));
    expect([first.entries.map((e: { eventId: string }) => e.eventId), first.nextBefore]).toEqual([
      ['a2', 'a1'],
      '1000:a1',
    ]);
    expect(await list(`?limit=2&before=${first.nextBefore}`)).toEqual([200, ['a0']]);
    expect(await list('?limit=501')).toEqual([400, null]);
    expect(await list('?limit=0')).toEqual([400, null]);
  });

  it('erases a user: the event, then the key; their personal text in the log was sealed', async () => {
    const { app, publisher, userKeys } = world();
    const created = await app.request(
      '/v1/users',
      postJson(KEYS.ingest, { userId: 'gone', username: 'Ada', region: 'eu' }),
    );
    expect(created.status).toBe(202);
    const [sealed] = publisher.sealed;
    expect(
      sealed?.kind === 'profile' && [sealed.event.username, sealed.event.region].every((f) => f?.startsWith('enc:v1:')),
    ).toBe(true);
    expect(JSON.stringify(publisher.sealed)).not.toContain('Ada');

    const erased = await app.request('/v1/users/gone', { method: 'DELETE', headers: auth(KEYS.admin) });
    expect(erased.status).toBe(202);
    expect(await json(erased)).toMatchObject({ action: 'erase', userId: 'gone', board: null });
    expect(userKeys.keys.get('gone')).toBeNull();
    expect(publisher.sealed.at(-1)).toMatchObject({
      kind: 'admin',
      event: { action: 'erase', userId: 'gone', actor: 'adm' },
    });

    // then nothing more is taken for them: scores, profile writes, and an unban does not lift it
    const score = await app.request('/v1/events', postJson(KEYS.ingest, { userId: 'gone', value: 1 }));
    expect([score.status, (await json(score)).error.code]).toEqual([403, 'user_erased']);
    expect((await app.request('/v1/users/gone/ban', { method: 'DELETE', headers: auth(KEYS.admin) })).status).toBe(202);
    const put = await app.request('/v1/users/gone', {
      method: 'PUT',
      headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Ada' }),
    });
    expect([put.status, (await json(put)).error.code]).toEqual([403, 'user_erased']);
    expect((await app.request('/v1/users/gone', { method: 'PATCH', headers: auth(KEYS.admin) })).status).toBe(405);
  });
});
