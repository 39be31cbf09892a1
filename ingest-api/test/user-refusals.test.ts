import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { topicEnd } from './kafka-log.js';

const INGEST_KEY = 'refusals-ingest';
const ADMIN_KEY = 'refusals-admin';
const API_KEYS = [`game:${sha256Hex(INGEST_KEY)}:ingest`, `ops:${sha256Hex(ADMIN_KEY)}:admin`].join(',');

let env: TestEnv;
let api: ServiceProcess;
let strictApi: ServiceProcess;
let db: pg.Pool;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_user_refusals', partitions: 3 });
  const config = { ...env.env, API_KEYS };
  [api, strictApi] = await Promise.all([
    startService('ingest-api', config, { port: await freePort() }),
    startService('ingest-api', { ...config, STRICT_BOARDS: 'true' }, { port: await freePort() }),
  ]);
  db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
});
afterAll(async () => {
  await api?.stop();
  await strictApi?.stop();
  await db?.end();
  await env?.cleanup();
});

function call(
  service: ServiceProcess,
  method: string,
  path: string,
  body: unknown,
  key: string | null = INGEST_KEY,
): Promise<Response> {
  return fetch(`${service.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Everything a users request may change: the boards, the recorded profiles and the events log. */
async function everything() {
  const boards = await db.query('SELECT * FROM boards ORDER BY board');
  const profiles = await db.query('SELECT * FROM ingest_profiles ORDER BY user_id');
  return {
    boards: boards.rows,
    profiles: profiles.rows,
    log: await topicEnd(env.kafkaBrokers, env.eventsTopic),
  };
}

interface Refusal {
  name: string;
  status: number;
  code: string;
  send: () => Promise<Response>;
}

const refusals: Refusal[] = [
  {
    name: 'POST for a user who already has a profile, with initialScore on a new board',
    status: 409,
    code: 'user_exists',
    send: () => call(api, 'POST', '/v1/users', { userId: 'ada', username: 'Ada 2', initialScore: 5, board: 'b-409' }),
  },
  {
    name: 'PUT for a user without a profile and without username, with initialScore on a new board',
    status: 400,
    code: 'invalid_request',
    send: () => call(api, 'PUT', '/v1/users/nobody', { initialScore: 5, board: 'b-merge' }),
  },
  {
    name: 'POST with an invalid field',
    status: 400,
    code: 'invalid_request',
    send: () => call(api, 'POST', '/v1/users', { userId: 'bo', username: '', initialScore: 5, board: 'b-400' }),
  },
  {
    name: 'POST with board but no initialScore',
    status: 400,
    code: 'invalid_request',
    send: () => call(api, 'POST', '/v1/users', { userId: 'cy', username: 'Cy', board: 'b-alone' }),
  },
  {
    name: 'PUT whose body is not JSON',
    status: 400,
    code: 'invalid_json',
    send: () => call(api, 'PUT', '/v1/users/ada', '{"initialScore": 5, "board": "b-json"'),
  },
  {
    name: 'POST without a key',
    status: 401,
    code: 'unauthorized',
    send: () => call(api, 'POST', '/v1/users', { userId: 'di', username: 'Di', initialScore: 5, board: 'b-401' }, null),
  },
  {
    name: 'PUT with a key lacking the ingest scope',
    status: 403,
    code: 'forbidden',
    send: () => call(api, 'PUT', '/v1/users/ada', { initialScore: 5, board: 'b-403' }, ADMIN_KEY),
  },
  {
    name: 'POST with initialScore on an unknown board under STRICT_BOARDS',
    status: 404,
    code: 'board_not_found',
    send: () =>
      call(strictApi, 'POST', '/v1/users', { userId: 'ed', username: 'Ed', initialScore: 5, board: 'b-strict' }),
  },
  {
    name: 'DELETE on a user without the admin scope',
    status: 403,
    code: 'forbidden',
    send: () => call(api, 'DELETE', '/v1/users/ada', { initialScore: 5, board: 'b-405' }),
  },
  {
    name: 'POST over MAX_BODY_BYTES',
    status: 413,
    code: 'payload_too_large',
    send: () =>
      call(api, 'POST', '/v1/users', {
        userId: 'flo',
        username: 'Flo',
        initialScore: 5,
        board: 'b-413',
        imageUrl: `https://img.example/${'x'.repeat(2_100_000)}`,
      }),
  },
];

describe('a refused users request changes nothing: no board, no profile, no event', () => {
  beforeAll(async () => {
    const created = await call(api, 'POST', '/v1/users', { userId: 'ada', username: 'Ada', initialScore: 1 });
    expect(created.status).toBe(202);
  });

  // The 429 and the 503 are in src/app.test.ts: they need the clock and the publisher in hand.
  it.each(refusals)('$status $code: $name', async ({ status, code, send }) => {
    const before = await everything();
    const refused = await send();
    expect(refused.status).toBe(status);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(await everything()).toEqual(before);
  });
});
