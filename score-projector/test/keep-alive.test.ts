import { createLogger, createMetricsRegistry, listen, type RunningServer } from '@rankstream/schemas/runtime';
import { type KeepAliveClient, keepAliveClient } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';

/** The projector's operator port (health, readiness, metrics) as main.ts serves it. */
let server: RunningServer;
let client: KeepAliveClient;

beforeAll(async () => {
  const app = createApp({
    logger: createLogger('projector-test', 'silent'),
    registry: createMetricsRegistry('projector-test'),
    checks: {},
  });
  server = await listen(app, 0, '127.0.0.1');
  client = keepAliveClient(`http://127.0.0.1:${server.port}`);
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

describe("the projector's port to a pooled keep-alive client", () => {
  it('keeps the connection usable after a 404 for a body it never reads, and closes it after a chunked one', async () => {
    const body = `{"padding":"${'x'.repeat(2_100_000)}"}`;
    const early = await client.request('POST', '/metrics', { body });
    expect([early.status, early.connection]).toEqual([404, 'keep-alive']);
    const next = await client.request('GET', '/healthz');
    expect([next.status, next.body, next.connectionNumber]).toEqual([200, '{"status":"ok"}', early.connectionNumber]);

    const chunked = await client.request('POST', '/metrics', { body, chunked: true });
    expect([chunked.status, chunked.connection]).toEqual([404, 'close']);
    const after = await client.request('GET', '/healthz');
    expect([after.status, after.connectionNumber]).toEqual([200, chunked.connectionNumber + 1]);
  });
});
