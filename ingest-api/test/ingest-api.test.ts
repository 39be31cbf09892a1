import { decodeConsistencyToken, PROFILE_EVENT_NAME, SCORE_EVENT_NAME, subjectFor } from '@rankstream/schemas';
import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { openedWithKeys, readTopic, topicEnd } from './kafka-log.js';

const INGEST_KEY = 'it-ingest-key';
const ADMIN_KEY = 'it-admin-key';
const API_KEYS = `game:${sha256Hex(INGEST_KEY)}:ingest,ops:${sha256Hex(ADMIN_KEY)}:admin`;

let env: TestEnv;
let api: ServiceProcess;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest', partitions: 3 });
  api = await startService('ingest-api', { ...env.env, API_KEYS }, { port: await freePort() });
});

afterAll(async () => {
  await api?.stop();
  await env?.cleanup();
});

/** Response bodies are checked field by field below. */
const json = (res: Response): Promise<any> => res.json();

function call(method: string, path: string, body?: unknown, key: string | null = INGEST_KEY) {
  return fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Personal text is sealed in the log: the checks read it opened with the users' keys. */
async function withKeys<T>(read: (db: pg.Pool) => Promise<T>): Promise<T> {
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 1 });
  try {
    return await read(db);
  } finally {
    await db.end();
  }
}

describe('ingest API against the real Kafka, registry and PostgreSQL', () => {
  it('publishes single and batch posts decodable through the registry, with the stamped op and periods', async () => {
    const start = await topicEnd(env.kafkaBrokers, env.eventsTopic);
    expect(start).toBe(0);
    const board = await call(
      'PUT',
      '/v1/boards/speedrun',
      { order: 'asc', defaultOp: 'best', periods: ['weekly'] },
      ADMIN_KEY,
    );
    expect(board.status).toBe(201);

    const single = await call('POST', '/v1/events', {
      eventId: 's-1',
      userId: 'alice',
      value: 7,
      metadata: { lvl: 2 },
    });
    expect(single.status).toBe(202);
    const singleBody = await json(single);
    const batch = await call('POST', '/v1/events', {
      events: [
        { eventId: 'b-1', userId: 'bob', board: 'speedrun', value: 61_250, occurredAt: '2026-11-20T10:00:00Z' },
        { eventId: 'b-2', userId: 'alice', board: 'speedrun', value: 59_000, op: 'set' },
        { eventId: 'b-3', userId: 'bob', value: -3 },
      ],
    });
    expect(batch.status).toBe(202);
    const batchBody = await json(batch);
    expect(batchBody.accepted).toBe(3);

    const log = await withKeys((db) =>
      readTopic({ brokers: env.kafkaBrokers, registryUrl: env.registryUrl, topic: env.eventsTopic, count: 4 }).then(
        (logged) => openedWithKeys(logged, db),
      ),
    );
    const byId = new Map(log.map((m) => [m.decoded.event.eventId, m]));
    for (const answered of [...singleBody.events, ...batchBody.events]) {
      const m = byId.get(answered.eventId)!;
      expect({ partition: m.partition, offset: m.offset }).toEqual({
        partition: answered.partition,
        offset: answered.offset,
      });
      expect(m.key).toBe(m.decoded.kind === 'board' ? m.decoded.event.board : m.decoded.event.userId);
    }
    const view = (id: string) => {
      const { kind, event } = byId.get(id)!.decoded;
      return { kind, ...event };
    };
    expect(view('s-1')).toMatchObject({
      kind: 'score',
      userId: 'alice',
      board: 'global',
      op: 'add',
      value: 7,
      periods: [],
      metadata: '{"lvl":2}',
    });
    expect(view('b-1')).toMatchObject({
      board: 'speedrun',
      op: 'min',
      periods: ['weekly'],
      occurredAt: Date.parse('2026-11-20T10:00:00Z'),
    });
    expect(view('b-2')).toMatchObject({ board: 'speedrun', op: 'set', periods: ['weekly'] });
    expect(view('b-3')).toMatchObject({ board: 'global', op: 'add', value: -3, periods: [] });

    // One user's events in one request keep their array order in the user's partition.
    expect(byId.get('b-3')!.partition).toBe(byId.get('b-1')!.partition);
    expect(byId.get('b-3')!.offset).toBeGreaterThan(byId.get('b-1')!.offset);

    const token = decodeConsistencyToken(batchBody.consistencyToken)!;
    expect(token.topic).toBe(env.eventsTopic);
    for (const e of batchBody.events) expect(token.offsets[e.partition]).toBeGreaterThan(e.offset);

    // Subjects follow TopicRecordNameStrategy, one per event kind.
    const subjects = (await json(await fetch(`${env.registryUrl}/subjects`))) as string[];
    expect(subjects).toContain(subjectFor(env.eventsTopic, SCORE_EVENT_NAME));
    expect(subjects).toContain(subjectFor(env.eventsTopic, PROFILE_EVENT_NAME));
  });

  it('publishes nothing of a 1000-event batch with one bad event, and all of a good one', async () => {
    const before = await topicEnd(env.kafkaBrokers, env.eventsTopic);
    const events = Array.from({ length: 1000 }, (_, i) => ({
      eventId: `big-${i}`,
      userId: `user-${i % 37}`,
      value: i,
    }));
    const bad = await call('POST', '/v1/events', {
      events: events.map((e, i) => (i === 617 ? { ...e, value: 'lots' } : e)),
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details).toEqual([
      { path: 'events.617.value', message: 'Invalid input: expected number, received string' },
    ]);
    expect(await topicEnd(env.kafkaBrokers, env.eventsTopic)).toBe(before);

    const good = await call('POST', '/v1/events', { events });
    expect(good.status).toBe(202);
    expect((await json(good)).accepted).toBe(1000);
    expect(await topicEnd(env.kafkaBrokers, env.eventsTopic)).toBe(before + 1000);
  });

  it('refuses a missing or invalid key, and a key without the scope', async () => {
    const event = { userId: 'mallory', value: 1 };
    const none = await call('POST', '/v1/events', event, null);
    expect(none.status).toBe(401);
    expect((await json(none)).error.code).toBe('unauthorized');
    expect((await call('POST', '/v1/events', event, 'guessed-key')).status).toBe(401);
    const adminOnly = await call('POST', '/v1/events', event, ADMIN_KEY);
    expect(adminOnly.status).toBe(403);
    expect((await json(adminOnly)).error.code).toBe('forbidden');
    expect((await call('PUT', '/v1/boards/b', {}, INGEST_KEY)).status).toBe(403);
    expect(api.output()).not.toContain(INGEST_KEY);
    expect(api.output()).not.toContain('guessed-key');
  });

  it('keeps board definitions in PostgreSQL: order immutable, omitted fields kept', async () => {
    expect((await call('PUT', '/v1/boards/golf', { order: 'asc' }, ADMIN_KEY)).status).toBe(201);
    expect((await call('PUT', '/v1/boards/golf', { periods: ['daily'] }, ADMIN_KEY)).status).toBe(200);
    const conflict = await call('PUT', '/v1/boards/golf', { order: 'desc' }, ADMIN_KEY);
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).error.code).toBe('order_immutable');
    const got = await json(await call('GET', '/v1/boards/golf'));
    expect(got).toMatchObject({ board: 'golf', order: 'asc', defaultOp: 'add', periods: ['daily'] });
    const db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT sort_order, default_op, periods FROM boards WHERE board = $1', ['golf']);
      expect(rows).toEqual([{ sort_order: 'asc', default_op: 'add', periods: ['daily'] }]);
    } finally {
      await db.end();
    }
  });

  it('publishes a profile event then a set score event for a new user, and 409s a second POST', async () => {
    const res = await call('POST', '/v1/users', { userId: 'zoe', username: 'Zoe', region: 'eu', initialScore: 500 });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body.userId).toBe('zoe');
    const [profile, score] = body.events;
    expect(score.partition).toBe(profile.partition);
    expect(score.offset).toBe(profile.offset + 1);
    expect((await call('POST', '/v1/users', { userId: 'zoe', username: 'Zoe again' })).status).toBe(409);
    const merged = await call('PUT', '/v1/users/zoe', { region: null, imageUrl: 'https://img.example/zoe.png' });
    expect(merged.status).toBe(202);
    const mergedId = (await json(merged)).events[0].eventId;

    const total = await topicEnd(env.kafkaBrokers, env.eventsTopic);
    const log = await withKeys((db) =>
      readTopic({ brokers: env.kafkaBrokers, registryUrl: env.registryUrl, topic: env.eventsTopic, count: total }).then(
        (logged) => openedWithKeys(logged, db),
      ),
    );
    const find = (id: string) => log.find((m) => m.decoded.event.eventId === id)!.decoded;
    expect(find(profile.eventId)).toEqual({
      kind: 'profile',
      event: {
        eventId: profile.eventId,
        userId: 'zoe',
        username: 'Zoe',
        imageUrl: null,
        region: 'eu',
        occurredAt: expect.any(Number),
      },
    });
    expect(find(score.eventId)).toMatchObject({
      kind: 'score',
      event: { userId: 'zoe', op: 'set', value: 500, board: 'global' },
    });
    expect(find(mergedId).event).toMatchObject({
      username: 'Zoe',
      region: null,
      imageUrl: 'https://img.example/zoe.png',
    });
  });

  it('answers a retried eventId with 202 again (the projector counts it once)', async () => {
    const event = { eventId: 'retry-1', userId: 'rita', value: 10 };
    expect((await call('POST', '/v1/events', event)).status).toBe(202);
    expect((await call('POST', '/v1/events', event)).status).toBe(202);
  });

  it('is ready, serves the OpenAPI document and metrics', async () => {
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const doc = await json(await fetch(`${api.url}/openapi.json`));
    expect(doc.paths['/v1/events'].post).toBeDefined();
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/ingest_events_accepted_total\{kind="score"[^}]*\} 10\d\d/);
  });

  it('counts the events in the log for the status page, with no key, and lets the dashboard call it', async () => {
    const end = await topicEnd(env.kafkaBrokers, env.eventsTopic);
    const status = await fetch(`${api.url}/v1/status`, { headers: { origin: 'http://dashboard.example' } });
    expect(status.headers.get('access-control-allow-origin')).toBe('*');
    const body = await json(status);
    expect(body).toMatchObject({ kafka: 'up', eventsInLog: end, deadLettered: 0 });
    expect(body.acceptedByThisProcess.score).toBeGreaterThan(1000);

    // a page on another origin may post with a key: the preflight allows the header and the method
    const preflight = await fetch(`${api.url}/v1/events`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dashboard.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });
});
