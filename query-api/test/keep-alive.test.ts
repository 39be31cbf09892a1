import { listen, type RunningServer } from '@rankstream/schemas/runtime';
import { type KeepAliveClient, keepAliveClient } from '@rankstream/tools/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQueryWorld, type QueryWorld } from './fixtures/query-world.js';

/** The query API through a real listening server, from a pooled keep-alive client. */
const T = 1_763_000_000_000;
const BODY = `{"padding":"${'x'.repeat(2_100_000)}"}`;
let w: QueryWorld;
let open: RunningServer;
let limited: RunningServer;
const clients: KeepAliveClient[] = [];

beforeAll(async () => {
  w = await createQueryWorld('keep_alive');
  await w.writer.writeState({
    boards: [{ board: 'global', order: 'desc' }],
    totals: [{ board: 'global', periodKey: 'all', userId: 'a', score: 30, reachedAt: T }],
  });
  open = await listen(w.liveApp().app, 0, '127.0.0.1');
  limited = await listen(w.liveApp({}, { QUERY_RATE_LIMIT_PER_S: '1' }).app, 0, '127.0.0.1');
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await open?.close();
  await limited?.close();
  await w?.close();
});

function clientOf(server: RunningServer) {
  const client = keepAliveClient(`http://127.0.0.1:${server.port}`);
  clients.push(client);
  return client;
}

async function expectTopServed(client: KeepAliveClient, onConnection: number) {
  const next = await client.request('GET', '/v1/boards/global/top');
  expect(next.status).toBe(200);
  expect(JSON.parse(next.body).entries.map((e: { userId: string }) => e.userId)).toEqual(['a']);
  expect(next.connectionNumber).toBe(onConnection);
}

describe('the query API to a pooled keep-alive client sending bodies it never reads', () => {
  it('keeps the connection usable after a 405, a 404 and a 400', async () => {
    const client = clientOf(open);
    for (const [method, path, status] of [
      ['POST', '/v1/boards/global/top', 405],
      ['POST', '/v1/nope', 404],
      ['GET', '/v1/boards/global/top?limit=0', 400],
    ] as const) {
      const early = await client.request(method, path, { headers: { 'content-type': 'application/json' }, body: BODY });
      expect([early.status, early.connection]).toEqual([status, 'keep-alive']);
      await expectTopServed(client, early.connectionNumber);
    }
    expect(client.connections()).toBe(1);
  });

  it('keeps the connection usable after a 429', async () => {
    const client = clientOf(limited);
    await expectTopServed(client, 1);
    const early = await client.request('POST', '/v1/boards/global/top', { body: BODY });
    expect([early.status, early.connection]).toEqual([429, 'keep-alive']);
    await new Promise((resolve) => setTimeout(resolve, 1_000 * Number(early.headers['retry-after'])));
    await expectTopServed(client, early.connectionNumber);
  });

  it('closes the connection after answering a chunked body it did not read, and serves the next request', async () => {
    const client = clientOf(open);
    const early = await client.request('POST', '/v1/boards/global/top', { body: BODY, chunked: true });
    expect([early.status, early.connection]).toEqual([405, 'close']);
    await expectTopServed(client, early.connectionNumber + 1);
  });
});
