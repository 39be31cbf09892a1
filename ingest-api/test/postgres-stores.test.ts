import { type BoardEventInput, EMPTY_SCHEDULE } from '@rankstream/schemas';
import { createLogger, createPool, type Pool } from '@rankstream/schemas/runtime';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresAuditLog } from '../src/adapters/postgres-audit-log.js';
import { createPostgresBanList } from '../src/adapters/postgres-ban-list.js';
import { createPostgresBoardStore } from '../src/adapters/postgres-board-store.js';
import { createPostgresProfileStore } from '../src/adapters/postgres-profile-store.js';
import { createPostgresUserKeys } from '../src/adapters/postgres-user-keys.js';
import type { Profile } from '../src/domain/profile-merge.js';
import { UserErasedError } from '../src/ports.js';

let env: TestEnv;
let pool: Pool;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_pg' });
  pool = createPool(env.databaseUrl, 10, createLogger('test', 'silent'));
});

afterAll(async () => {
  await pool?.end();
  await env?.cleanup();
});

describe('PostgreSQL board store', () => {
  it('creates a board once under concurrent PUTs: one created, the others updates, none failing', async () => {
    const boards = createPostgresBoardStore(pool);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => boards.put('race', { order: 'asc', periods: i % 2 ? ['daily'] : [] })),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual([
      'created',
      'updated',
      'updated',
      'updated',
      'updated',
      'updated',
    ]);
    expect((await pool.query('SELECT count(*)::int AS n FROM boards WHERE board = $1', ['race'])).rows[0].n).toBe(1);
  });

  it('gives every concurrent first use the same, single board', async () => {
    const boards = createPostgresBoardStore(pool);
    const created = await Promise.all(Array.from({ length: 6 }, () => boards.createIfMissing('first-use')));
    expect(new Set(created.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(created[0]).toMatchObject({ board: 'first-use', order: 'desc', defaultOp: 'add', periods: [] });
  });

  it('keeps the order and merges omitted fields', async () => {
    const boards = createPostgresBoardStore(pool);
    expect((await boards.put('b1', { order: 'asc', defaultOp: 'best' })).status).toBe('created');
    expect(await boards.put('b1', { periods: ['weekly', 'daily'] })).toMatchObject({
      status: 'updated',
      definition: { order: 'asc', defaultOp: 'best', periods: ['daily', 'weekly'] },
    });
    expect(await boards.put('b1', { order: 'desc' })).toMatchObject({ status: 'immutable', field: 'order' });
    expect(await boards.get('b1')).toMatchObject({ order: 'asc', defaultOp: 'best', periods: ['daily', 'weekly'] });
  });

  it('stores the calendar, and keeps it once the board keeps periods', async () => {
    const boards = createPostgresBoardStore(pool);
    expect(await boards.put('cal', { timeZone: 'Asia/Tokyo' })).toMatchObject({
      status: 'created',
      definition: { timeZone: 'Asia/Tokyo', weekStartsOn: 'monday', periods: [] },
    });
    expect(
      await boards.put('cal', { timeZone: 'America/New_York', weekStartsOn: 'sunday', periods: ['weekly'] }),
    ).toMatchObject({
      status: 'updated',
      definition: { timeZone: 'America/New_York', weekStartsOn: 'sunday', periods: ['weekly'] },
    });
    expect(await boards.put('cal', { weekStartsOn: 'monday' })).toMatchObject({
      status: 'immutable',
      field: 'weekStartsOn',
    });
    // dropping the periods does not free it: the instances they named remain
    expect((await boards.put('cal', { periods: [] })).status).toBe('updated');
    expect(await boards.put('cal', { timeZone: 'UTC' })).toMatchObject({ status: 'immutable', field: 'timeZone' });
    expect(await boards.get('cal')).toMatchObject({ timeZone: 'America/New_York', weekStartsOn: 'sunday' });
  });
});

describe('PostgreSQL board store: schedule changes as an outbox', () => {
  const H = 3_600_000;
  const T = Date.UTC(2026, 11, 7, 12);

  it('keeps a change whose sending failed pending, judges by logged changes only, and sends it first later', async () => {
    const boards = createPostgresBoardStore(pool);
    await boards.put('cup', { periods: ['daily'] });
    const sent: BoardEventInput[] = [];
    const send = async (event: BoardEventInput) => {
      sent.push(event);
      return `token-${sent.length}`;
    };
    const down = async () => {
      throw new Error('kafka down');
    };
    const s1 = { seasonId: 's1', startsAt: T, endsAt: T + 10 * H };
    // given a season whose board event could not be sent
    const request = { change: { action: 'season' as const, season: s1 }, eventId: 'e-s1', actor: 'adm', now: T };
    await expect(boards.changeSchedule('cup', request, down)).rejects.toThrow('kafka down');
    // then it is recorded as pending, and events are not judged by it
    expect((await boards.get('cup'))?.schedule).toEqual(EMPTY_SCHEDULE);
    const pending = await pool.query('SELECT event_id, logged FROM board_changes WHERE board = $1', ['cup']);
    expect(pending.rows).toEqual([{ event_id: 'e-s1', logged: false }]);

    // when a reset comes next (asked for at an instant before the board's last reset would be fine too)
    const reset = await boards.changeSchedule(
      'cup',
      { change: { action: 'reset', at: T + H, next: null }, eventId: 'e-r1', actor: 'adm', now: T + H },
      send,
    );
    // then the pending season went first, both are logged, and the reset ended the season
    expect(sent.map((e) => [e.eventId, e.action])).toEqual([
      ['e-s1', 'season'],
      ['e-r1', 'reset'],
    ]);
    expect(reset).toMatchObject({ ok: true, token: 'token-2', change: { action: 'reset', at: T + H } });
    expect((await boards.get('cup'))?.schedule).toEqual({ seasons: [{ ...s1, endsAt: T + H }], resets: [T + H] });

    // and a reset asked for at an earlier instant (another instance's clock) is placed after the last one
    const early = await boards.changeSchedule(
      'cup',
      { change: { action: 'reset', at: T, next: null }, eventId: 'e-r2', actor: 'adm', now: T },
      send,
    );
    expect(early).toMatchObject({ ok: true, change: { at: T + H + 1 } });
    expect(sent.at(-1)).toMatchObject({ eventId: 'e-r2', occurredAt: T + H + 1 });
  });

  it('sends the pending change of every board, once', async () => {
    const boards = createPostgresBoardStore(pool);
    const down = async () => {
      throw new Error('kafka down');
    };
    for (const id of ['a', 'b']) {
      await boards.put(`league-${id}`, {});
      const season = { seasonId: id, startsAt: T, endsAt: T + H };
      const request = { change: { action: 'season' as const, season }, eventId: `e-${id}`, actor: 'adm', now: T };
      await expect(boards.changeSchedule(`league-${id}`, request, down)).rejects.toThrow();
      // a second change of the board tries the pending one first, and so is not recorded either
      const later = { ...request, change: { action: 'reset' as const, at: T, next: null }, eventId: `e-${id}-r` };
      await expect(boards.changeSchedule(`league-${id}`, later, down)).rejects.toThrow();
    }
    const sent: string[] = [];
    const send = async (event: BoardEventInput) => {
      sent.push(event.eventId);
      return 't';
    };
    expect(await boards.sendPending(send)).toBe(2);
    expect(await boards.sendPending(send)).toBe(0);
    expect(sent.sort()).toEqual(['e-a', 'e-b']);
    expect((await boards.get('league-b'))?.schedule.seasons.map((s) => s.seasonId)).toEqual(['b']);
  });
});

describe('PostgreSQL profile store', () => {
  it('serialises concurrent writes for one new user: each sees the one before', async () => {
    const profiles = createPostgresProfileStore(pool);
    const seen: (string | undefined)[] = [];
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        profiles.withUser('racer', async (current) => {
          seen.push(current?.username);
          await new Promise((r) => setTimeout(r, 20)); // the publish
          const save: Profile = { userId: 'racer', username: name, imageUrl: null, region: null };
          return { save, result: null };
        }),
      ),
    );
    // Exactly one step saw no profile, and every other saw a distinct earlier one.
    expect(seen.filter((s) => s === undefined)).toHaveLength(1);
    expect(new Set(seen).size).toBe(4);
  });

  it('records nothing when the step fails', async () => {
    const profiles = createPostgresProfileStore(pool);
    await expect(
      profiles.withUser('failing', async () => {
        throw new Error('Kafka down');
      }),
    ).rejects.toThrow('Kafka down');
    expect((await pool.query('SELECT 1 FROM ingest_profiles WHERE user_id = $1', ['failing'])).rowCount).toBe(0);
  });
});

describe('PostgreSQL ban list, user keys and audit', () => {
  const logger = createLogger('test', 'silent');
  const banRow = (userId: string, banned: boolean, erased: boolean) =>
    pool.query(
      `INSERT INTO user_bans (user_id, banned, erased, partition, actor, occurred_at) VALUES ($1, $2, $3, 0, 'ops', 1)
       ON CONFLICT (user_id) DO UPDATE SET banned = $2, erased = $3, changed_at = now()`,
      [userId, banned, erased],
    );

  it('refreshes only what changed, sees unbans, and keeps an erasure over a later unban note', async () => {
    const clock = { now: 0 };
    const bans = createPostgresBanList(pool, { refreshMs: 1_000, now: () => clock.now, logger });
    await banRow('b1', true, false);
    await banRow('e1', false, true);
    expect([...(await bans.barred(['b1', 'e1', 'x']))].sort()).toEqual([
      ['b1', 'banned'],
      ['e1', 'erased'],
    ]);
    await banRow('b1', false, false);
    // within the refresh interval the copy stands; past it the change is read
    expect((await bans.barred(['b1'])).get('b1')).toBe('banned');
    clock.now += 1_001;
    expect((await bans.barred(['b1'])).size).toBe(0);
    // this instance's own actions count at once; an erasure is not lifted by an unban note
    bans.note('n1', 'banned');
    bans.note('n2', 'erased');
    bans.note('n2', null);
    bans.note('e1', null);
    expect(new Map(await bans.barred(['n1', 'n2', 'e1']))).toEqual(
      new Map([
        ['n1', 'banned'],
        ['n2', 'erased'],
        ['e1', 'erased'],
      ]),
    );
  });

  it('creates one key per user under concurrent first uses, and refuses an erased user for good', async () => {
    const keys = createPostgresUserKeys(pool, { ttlMs: 60_000, maxEntries: 10, now: () => 0 });
    const other = createPostgresUserKeys(pool, { ttlMs: 60_000, maxEntries: 10, now: () => 0 });
    const got = await Promise.all([keys.keysFor(['k1', 'k2']), other.keysFor(['k1']), other.keysFor(['k1', 'k2'])]);
    expect(got[0].get('k1')).toEqual(got[1].get('k1'));
    expect(got[0].get('k2')).toEqual(got[2].get('k2'));
    expect(got[0].get('k1')).toHaveLength(32);
    const profiles = createPostgresProfileStore(pool);
    await profiles.withUser('k1', async () => ({
      save: { userId: 'k1', username: 'Kay', imageUrl: null, region: null },
      result: undefined,
    }));
    await keys.erase('k1');
    expect((await pool.query('SELECT key FROM user_keys WHERE user_id = $1', ['k1'])).rows).toEqual([{ key: null }]);
    expect((await pool.query('SELECT 1 FROM ingest_profiles WHERE user_id = $1', ['k1'])).rows).toEqual([]);
    const fresh = createPostgresUserKeys(pool, { ttlMs: 60_000, maxEntries: 10, now: () => 0 });
    await expect(fresh.keysFor(['k1'])).rejects.toBeInstanceOf(UserErasedError);
    // another instance's cached key still seals, but no profile of the user is recorded any more
    expect((await other.keysFor(['k1'])).get('k1')).toEqual(got[1].get('k1'));
    await expect(
      profiles.withUser('k1', async () => ({
        save: { userId: 'k1', username: 'Kay', imageUrl: null, region: null },
        result: undefined,
      })),
    ).rejects.toBeInstanceOf(UserErasedError);
  });

  it('pages the audit by (occurredAt, eventId), newest first, losing nothing inside one millisecond', async () => {
    for (const [eventId, at] of [
      ['a1', 1_000],
      ['a2', 1_000],
      ['a3', 2_000],
    ] as const) {
      await pool.query(
        `INSERT INTO admin_audit (event_id, partition, kafka_offset, action, user_id, actor, occurred_at)
         VALUES ($1, 0, 1, 'ban', 'aud', 'ops', $2)`,
        [eventId, at],
      );
    }
    const audit = createPostgresAuditLog(pool);
    const page = async (before?: { occurredAt: number; eventId: string }) =>
      (await audit.list({ userId: 'aud', limit: 2, ...(before ? { before } : {}) })).map((e) => e.eventId);
    expect(await page()).toEqual(['a3', 'a2']);
    expect(await page({ occurredAt: 1_000, eventId: 'a2' })).toEqual(['a1']);
    expect(await page({ occurredAt: 2_000, eventId: '' })).toEqual(['a2', 'a1']);
  });
});
