import {
  createTestEnv,
  freePort,
  type KeepAliveClient,
  keepAliveClient,
  type ServiceProcess,
  startService,
  type TestEnv,
} from '@rankstream/tools/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';

const INGEST_KEY = 'keep-alive-ingest';
const BURST_KEY = 'keep-alive-burst';
const RATE_PER_S = 500;

let env: TestEnv;
let api: ServiceProcess;
let client: KeepAliveClient;

beforeAll(async () => {
  env = await createTestEnv({ name: 'ingest_keep_alive', partitions: 1 });
  api = await startService(
    'ingest-api',
    {
      ...env.env,
      API_KEYS: `game:${sha256Hex(INGEST_KEY)}:ingest,burst:${sha256Hex(BURST_KEY)}:ingest`,
      RATE_LIMIT_EVENTS_PER_S: String(RATE_PER_S),
    },
    { port: await freePort() },
  );
});
afterAll(async () => {
  await api?.stop();
  await env?.cleanup();
});
beforeEach(() => {
  client = keepAliveClient(api.url);
});
afterEach(() => client.close());

const auth = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
/** A JSON body of `bytes` bytes; MAX_BODY_BYTES is left at its default, 2 MiB (2,097,152 bytes). */
const bodyOf = (bytes: number) => `{"padding":"${'x'.repeat(bytes - 14)}"}`;
const OVER_THE_CAP = 2_100_000;

/** The follow-up: a request that reaches the server answers as documented. */
async function expectNextRequestAnswered() {
  const next = await client.request('GET', '/v1/events');
  expect(next.status).toBe(405);
  return next;
}

describe('a pooled keep-alive client after an answer that left the body unread', () => {
  it('reuses the connection after a 413 for a body over MAX_BODY_BYTES', async () => {
    const refused = await client.request('POST', '/v1/events', {
      headers: auth(INGEST_KEY),
      body: bodyOf(OVER_THE_CAP),
    });
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).error.code).toBe('payload_too_large');
    expect(refused.connection).toBe('keep-alive');
    for (let i = 0; i < 3; i++) {
      expect((await expectNextRequestAnswered()).connectionNumber).toBe(refused.connectionNumber);
    }
    expect(client.connections()).toBe(1);
  });

  it('is told to close the connection when the refused body has no length or is beyond 8 MiB, and its next request succeeds', async () => {
    const chunked = await client.request('POST', '/v1/events', {
      headers: auth(INGEST_KEY),
      body: bodyOf(OVER_THE_CAP),
      chunked: true,
    });
    expect([chunked.status, chunked.connection]).toEqual([413, 'close']);
    expect((await expectNextRequestAnswered()).connectionNumber).toBe(chunked.connectionNumber + 1);

    const huge = await client.request('POST', '/v1/events', { headers: auth(INGEST_KEY), body: bodyOf(9_000_000) });
    expect([huge.status, huge.connection]).toEqual([413, 'close']);
    expect((await expectNextRequestAnswered()).connectionNumber).toBe(huge.connectionNumber + 1);
  });

  it('reuses the connection after a 401 and a 403 that never read the body', async () => {
    const unauthorized = await client.request('POST', '/v1/events', {
      headers: { 'content-type': 'application/json' },
      body: bodyOf(OVER_THE_CAP),
    });
    expect([unauthorized.status, unauthorized.connection]).toEqual([401, 'keep-alive']);
    expect((await expectNextRequestAnswered()).connectionNumber).toBe(unauthorized.connectionNumber);

    // Defining a board takes the admin scope.
    const forbidden = await client.request('PUT', '/v1/boards/keep-alive', {
      headers: auth(INGEST_KEY),
      body: bodyOf(1_000_000),
    });
    expect([forbidden.status, forbidden.connection]).toEqual([403, 'keep-alive']);
    expect((await expectNextRequestAnswered()).connectionNumber).toBe(forbidden.connectionNumber);
  });

  it('reuses the connection after a 429', async () => {
    const burst = JSON.stringify({
      events: Array.from({ length: RATE_PER_S * 2 }, (_, i) => ({ userId: `u${i % 7}`, value: 1 })),
    });
    const first = await client.request('POST', '/v1/events', { headers: auth(BURST_KEY), body: burst });
    expect(first.status).toBe(202);
    const limited = await client.request('POST', '/v1/events', { headers: auth(BURST_KEY), body: burst });
    expect([limited.status, limited.connection]).toEqual([429, 'keep-alive']);
    expect((await expectNextRequestAnswered()).connectionNumber).toBe(limited.connectionNumber);
  });
});
