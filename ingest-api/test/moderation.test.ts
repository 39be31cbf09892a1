import { openSealed } from '@rankstream/schemas';
import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { readTopic, topicEnd } from './kafka-log.js';
import { call, eventually } from './service-calls.js';

const GAME = 'moderation-game';
const OPS = 'moderation-ops';
let env: TestEnv;
let ingest: ServiceProcess;
let otherIngest: ServiceProcess;
let projector: ServiceProcess;
let query: ServiceProcess;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_moderation', partitions: 3 });
  const config = { ...env.env, API_KEYS: `game:${sha256Hex(GAME)}:ingest,ops:${sha256Hex(OPS)}:admin` };
  projector = await startService('score-projector', env.env, { port: await freePort(), readyTimeoutMs: 60_000 });
  [ingest, otherIngest, query] = await Promise.all([
    startService('ingest-api', config, { port: await freePort() }),
    startService('ingest-api', config, { port: await freePort() }),
    startService('query-api', env.env, { port: await freePort() }),
  ]);
});
afterAll(async () => {
  await Promise.all([ingest?.stop(), otherIngest?.stop(), query?.stop(), projector?.stop()]);
  await env?.cleanup();
});

const top = async () => {
  const res = await fetch(`${query.url}/v1/boards/global/top?limit=10`);
  return res.status === 200 ? ((await json(res)).entries as { userId: string; rank: number }[]) : [];
};
const ranking = async () => (await top()).map((e) => `${e.rank}:${e.userId}`).join(' ');

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('moderation through the HTTP API', () => {
  it('removes an entry, bans and unbans, each in the log and in the audit with who asked', async () => {
    // given three players on the global board
    const posted = await call(ingest, 'POST', '/v1/events', GAME, {
      events: [
        { userId: 'ann', value: 300 },
        { userId: 'bob', value: 200 },
        { userId: 'cat', value: 100 },
      ],
    });
    expect(posted.status).toBe(202);
    expect(await eventually(ranking, (r) => r === '1:ann 2:bob 3:cat')).toBe('1:ann 2:bob 3:cat');

    // when an admin removes ann's entry, the others close the gap
    const removed = await call(ingest, 'DELETE', '/v1/boards/global/users/ann?reason=cheating', OPS);
    expect(removed.status).toBe(202);
    expect(await json(removed)).toMatchObject({
      action: 'remove_entry',
      userId: 'ann',
      board: 'global',
      periodKey: null,
    });
    expect(await eventually(ranking, (r) => r === '1:bob 2:cat')).toBe('1:bob 2:cat');
    expect((await fetch(`${query.url}/v1/boards/global/users/ann`)).status).toBe(404);

    // when bob is banned, his events are refused at once by the instance that took the ban,
    // and by every instance once the projector has folded it
    expect((await call(ingest, 'POST', '/v1/users/bob/ban', OPS, { reason: 'bot' })).status).toBe(202);
    const before = await topicEnd(env.kafkaBrokers, env.eventsTopic);
    const refused = await call(ingest, 'POST', '/v1/events', GAME, { userId: 'bob', value: 5 });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.details).toEqual([{ path: 'userId', message: 'this user is banned' }]);
    await eventually(
      async () => (await json(await call(ingest, 'GET', '/v1/admin/audit?userId=bob', OPS))).entries,
      (entries: unknown[]) => entries.length === 1,
    );
    // the other instance's copy of the bans is at most a second old
    await new Promise((r) => setTimeout(r, 1_100));
    const elsewhere = await call(otherIngest, 'POST', '/v1/events', GAME, { userId: 'bob', value: 5 });
    expect(elsewhere.status).toBe(403);
    expect(await topicEnd(env.kafkaBrokers, env.eventsTopic)).toEqual(before);
    // ann, removed but not banned, counts again from nothing
    expect((await call(ingest, 'POST', '/v1/events', GAME, { userId: 'ann', value: 7 })).status).toBe(202);
    expect(await eventually(ranking, (r) => r === '1:bob 2:cat 3:ann')).toBe('1:bob 2:cat 3:ann');

    // when the ban is lifted, bob's events count again
    expect((await call(ingest, 'DELETE', '/v1/users/bob/ban', OPS)).status).toBe(202);
    expect((await call(ingest, 'POST', '/v1/events', GAME, { userId: 'bob', value: 1 })).status).toBe(202);
    const bob = await eventually(
      async () => (await top()).find((e) => e.userId === 'bob'),
      (e) => e !== undefined && (e as unknown as { score: number }).score === 201,
    );
    expect(bob).toMatchObject({ score: 201, rank: 1 });

    // then the audit lists the three actions, newest first, with the key that asked
    const audit = await eventually(
      async (): Promise<Record<string, unknown>[]> =>
        (await json(await call(ingest, 'GET', '/v1/admin/audit', OPS))).entries,
      (entries) => entries.length === 3,
    );
    expect(audit.map((e) => [e.action, e.userId, e.actor, e.removed])).toEqual([
      ['unban', 'bob', 'ops', 0],
      ['ban', 'bob', 'ops', 0],
      ['remove_entry', 'ann', 'ops', 1],
    ]);
    const forAnn = await json(await call(ingest, 'GET', '/v1/admin/audit?userId=ann&board=global', OPS));
    expect(forAnn.entries.map((e: { reason: string }) => e.reason)).toEqual(['cheating']);
    expect((await call(ingest, 'GET', '/v1/admin/audit', GAME)).status).toBe(403);
  });

  it('erases a user for good: off the boards and the profiles, and their sealed text unreadable', async () => {
    // given a player with a profile, a score and metadata, all sealed in the log but projected readable
    const created = await call(ingest, 'POST', '/v1/users', GAME, {
      userId: 'dan',
      username: 'Dan Doe',
      imageUrl: 'https://img.example.com/dan.png',
      region: 'eu-west',
      initialScore: 500,
    });
    expect(created.status).toBe(202);
    expect(
      (await call(ingest, 'POST', '/v1/events', GAME, { userId: 'dan', value: 5, metadata: { device: 'dan-phone' } }))
        .status,
    ).toBe(202);
    const standing = await eventually(
      async () => json(await fetch(`${query.url}/v1/boards/global/users/dan`)),
      (body) => body.score === 505,
    );
    expect(standing).toMatchObject({ rank: 1, score: 505, username: 'Dan Doe' });
    const db = new pg.Pool({ connectionString: env.databaseUrl, max: 1 });
    try {
      const key = (await db.query('SELECT key FROM user_keys WHERE user_id = $1', ['dan'])).rows[0]?.key as Buffer;
      const logged = await readTopic({
        brokers: env.kafkaBrokers,
        registryUrl: env.registryUrl,
        topic: env.eventsTopic,
        count: await topicEnd(env.kafkaBrokers, env.eventsTopic),
      });
      const dans = logged.filter((m) => m.key === 'dan').map((m) => m.decoded);
      const text = JSON.stringify(dans);
      for (const plain of ['Dan Doe', 'dan.png', 'eu-west', 'dan-phone']) expect(text).not.toContain(plain);
      const profile = dans.find((d) => d.kind === 'profile');
      expect(profile?.kind === 'profile' && openSealed(key, 'dan', profile.event.username)).toBe('Dan Doe');

      // when an admin erases dan
      const erased = await call(ingest, 'DELETE', '/v1/users/dan', OPS, { reason: 'GDPR request 42' });
      expect(erased.status).toBe(202);

      // then dan is on no board and in no profile store, the key is gone, and nothing sealed opens
      await eventually(
        async () => (await fetch(`${query.url}/v1/boards/global/users/dan`)).status,
        (status) => status === 404,
      );
      expect((await fetch(`${query.url}/v1/boards/global/users/dan`)).status).toBe(404);
      expect((await db.query('SELECT * FROM profiles WHERE user_id = $1', ['dan'])).rows).toEqual([]);
      expect((await db.query('SELECT * FROM ingest_profiles WHERE user_id = $1', ['dan'])).rows).toEqual([]);
      expect((await db.query('SELECT key FROM user_keys WHERE user_id = $1', ['dan'])).rows).toEqual([{ key: null }]);
      expect((await call(ingest, 'POST', '/v1/events', GAME, { userId: 'dan', value: 1 })).status).toBe(403);
      expect((await call(ingest, 'PUT', '/v1/users/dan', GAME, { username: 'Dan' })).status).toBe(403);
      const audit = await json(await call(ingest, 'GET', '/v1/admin/audit?userId=dan', OPS));
      expect(audit.entries.map((e: { action: string; removed: number }) => [e.action, e.removed])).toEqual([
        ['erase', 1],
      ]);
    } finally {
      await db.end();
    }
  });

  it("holds players to a board's limits: 400 past maxDelta, 429 past maxEventsPerMinute, the projector the rest", async () => {
    // given a board that allows 3 events a minute per player and a change of at most 100
    const put = await call(ingest, 'PUT', '/v1/boards/arena', OPS, { maxEventsPerMinute: 3, maxDelta: 100 });
    expect(await json(put)).toMatchObject({ board: 'arena', maxEventsPerMinute: 3, maxDelta: 100 });
    const post = (body: unknown) => call(ingest, 'POST', '/v1/events', GAME, body);
    const before = await topicEnd(env.kafkaBrokers, env.eventsTopic);

    // when a player adds too much, or sends a fourth event within the minute, nothing is published
    const large = await post({ userId: 'eve', board: 'arena', value: 101 });
    expect([large.status, (await json(large)).error.details[0].path]).toEqual([400, 'value']);
    const three = { events: [1, 2, 3].map((n) => ({ eventId: `eve-${n}`, userId: 'eve', board: 'arena', value: 10 })) };
    expect((await post(three)).status).toBe(202);
    const fourth = await post({ userId: 'eve', board: 'arena', value: 10 });
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await json(fourth)).error.details[0].path).toBe('userId');
    expect(await topicEnd(env.kafkaBrokers, env.eventsTopic)).toBe(before + 3);

    // and a set whose change only the projector can measure is accepted, then dead-lettered by it
    expect((await post({ userId: 'fay', board: 'arena', op: 'set', value: 5_000 })).status).toBe(202);
    expect((await post({ userId: 'fay', board: 'arena', op: 'set', value: 60 })).status).toBe(202);
    const fay = await eventually(
      async () => json(await fetch(`${query.url}/v1/boards/arena/users/fay`)),
      (body) => body.score === 60,
    );
    expect(fay).toMatchObject({ score: 60, rank: 1 });
    const eve = await json(await fetch(`${query.url}/v1/boards/arena/users/eve`));
    expect(eve).toMatchObject({ score: 30, rank: 2 });
    const metrics = await (await fetch(`${projector.url}/metrics`)).text();
    expect(metrics).toMatch(/^rankstream_projector_dead_lettered_total\{reason="max_delta"[^}]*\} 1$/m);
  });
});
