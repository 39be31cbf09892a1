import http from 'node:http';
import { createPool } from '@rankstream/schemas/runtime';
import {
  connectTestRedis,
  createTestEnv,
  freePort,
  type ServiceProcess,
  startService,
  type TestEnv,
} from '@rankstream/tools/testing';
import { EventSource } from 'eventsource';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProjectionWriter } from './fixtures/projection-writer.js';
import { silentLogger } from './fixtures/query-world.js';

/** The WebSocket feeds of the built service (dist/main.js), next to its SSE streams. */
const T = 1_763_000_000_000;

let env: TestEnv;
let pool: pg.Pool;
let redis: ReturnType<typeof connectTestRedis>;
let writer: ProjectionWriter;
let query: ServiceProcess | undefined;
let port: number;
const closers: (() => void)[] = [];

beforeAll(async () => {
  env = await createTestEnv({ name: 'query_ws', partitions: 1 });
  pool = createPool(env.databaseUrl, 2, silentLogger);
  redis = connectTestRedis(env.redisUrl);
  writer = new ProjectionWriter(pool, redis, env.redisPrefix, env.eventsTopic);
  await writer.writeState({
    boards: [{ board: 'live', order: 'desc' }],
    totals: [
      { board: 'live', periodKey: 'all', userId: 'a', score: 30, reachedAt: T },
      { board: 'live', periodKey: 'all', userId: 'b', score: 20, reachedAt: T },
      { board: 'live', periodKey: 'all', userId: 'c', score: 10, reachedAt: T },
    ],
    watermark: { 0: 3 },
  });
  port = await freePort();
  query = await startService('query-api', env.env, { port });
});
afterAll(async () => {
  for (const close of closers) close();
  await query?.stop('SIGKILL');
  redis?.disconnect();
  await pool?.end();
  await env?.cleanup();
});

/** Messages of one kind in arrival order; `count(n)` waits until n have come. */
function inbox() {
  const got: string[] = [];
  return {
    got,
    push: (data: string) => got.push(data),
    async count(n: number, ms = 5_000): Promise<string[]> {
      const deadline = Date.now() + ms;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`${got.length} of ${n} messages within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return got.slice(0, n);
    },
  };
}

function sse(path: string, event: string) {
  const box = inbox();
  const source = new EventSource(`http://127.0.0.1:${port}${path}`);
  closers.push(() => source.close());
  // Normalised to the same text as a WebSocket frame's data.
  source.addEventListener(event, (ev) => box.push(JSON.stringify(JSON.parse((ev as MessageEvent).data))));
  return box;
}

function socket(path: string, event: string) {
  const box = inbox();
  const closed = new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    closers.push(() => ws.terminate());
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.event === event) box.push(JSON.stringify(frame.data));
    });
    ws.on('close', (code) => resolve(code));
    ws.on('error', () => {});
  });
  return Object.assign(box, { closed });
}

/** The status and JSON error code a refused handshake answered with. */
function handshakeRefusal(path: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve([res.statusCode ?? 0, JSON.parse(body).error.code]));
    });
    ws.on('open', () => reject(new Error(`${path} was accepted`)));
    ws.on('error', () => {});
  });
}

async function write(userId: string, score: number, offset: number) {
  await writer.totals([{ board: 'live', periodKey: 'all', userId, score, reachedAt: T + offset, version: offset }]);
  await writer.watermark({ 0: offset + 1 });
}

describe('WebSocket feeds', () => {
  it('send the same messages as the SSE streams for the same writes', async () => {
    // given an SSE and a WebSocket subscriber of each feed
    const topSse = sse('/v1/boards/live/stream?limit=2', 'top');
    const topWs = socket('/v1/boards/live/ws?limit=2', 'top');
    const rankSse = sse('/v1/boards/live/users/b/stream?radius=1', 'rank');
    const rankWs = socket('/v1/boards/live/users/b/ws?radius=1', 'rank');
    await Promise.all([topSse.count(1), topWs.count(1), rankSse.count(1), rankWs.count(1)]);

    // when three writes change the top and b's standing, each seen before the next
    const steps: [string, number][] = [
      ['c', 40],
      ['b', 50],
      ['a', 60],
    ];
    for (const [i, [userId, score]] of steps.entries()) {
      await write(userId, score, 3 + i);
      await Promise.all([topSse.count(i + 2), topWs.count(i + 2), rankSse.count(i + 2), rankWs.count(i + 2)]);
    }

    // then both transports carried the same four answers of each feed
    expect(topWs.got).toEqual(topSse.got);
    expect(rankWs.got).toEqual(rankSse.got);
    expect(topWs.got.map((m) => JSON.parse(m).entries.map((e: { userId: string }) => e.userId))).toEqual([
      ['a', 'b'],
      ['c', 'a'],
      ['b', 'c'],
      ['a', 'b'],
    ]);
    expect(rankWs.got.map((m) => JSON.parse(m).user.rank)).toEqual([2, 3, 1, 2]);
    // and the last one is what GET .../top answers now
    const top = await (await fetch(`http://127.0.0.1:${port}/v1/boards/live/top?limit=2`)).json();
    expect(JSON.parse(topWs.got.at(-1) ?? '')).toEqual(top);
  });

  it('closes with 1001 when the service stops, and a reconnect gets the current answer at once', async () => {
    const before = socket('/v1/boards/live/ws?limit=3', 'top');
    await before.count(1);
    await query?.stop('SIGTERM');
    expect(await before.closed).toBe(1001);

    query = await startService('query-api', env.env, { port });
    await write('c', 70, 6);
    const after = socket('/v1/boards/live/ws?limit=3', 'top');
    const [first] = await after.count(1);
    expect(JSON.parse(first ?? '').entries.map((e: { userId: string; score: number }) => [e.userId, e.score])).toEqual([
      ['c', 70],
      ['a', 60],
      ['b', 50],
    ]);
  });

  it('refuses bad handshakes with the JSON error a plain GET shows', async () => {
    expect(await handshakeRefusal('/v1/boards/nope/ws')).toEqual([404, 'board_not_found']);
    expect(await handshakeRefusal('/v1/boards/live/ws?limit=0')).toEqual([400, 'invalid_request']);
    expect(await handshakeRefusal('/v1/boards/live/users/b/ws?radius=99')).toEqual([400, 'invalid_request']);
    // an upgrade anywhere else (an SSE stream among them) is refused before any route runs
    expect(await handshakeRefusal('/v1/boards/live/stream')).toEqual([400, 'invalid_request']);
    const plain = await fetch(`http://127.0.0.1:${port}/v1/boards/live/ws?limit=0`);
    expect([plain.status, ((await plain.json()) as any).error.details[0].path]).toEqual([400, 'limit']);
    const notUpgraded = await fetch(`http://127.0.0.1:${port}/v1/boards/live/ws`);
    expect([notUpgraded.status, ((await notUpgraded.json()) as any).error.code]).toEqual([426, 'upgrade_required']);
    // a GET naming an upgrade without `Connection: upgrade`, which Node takes as a plain request, is not switched
    const claimed = await new Promise<number>((resolve, reject) => {
      http
        .get(
          `http://127.0.0.1:${port}/v1/boards/live/ws`,
          { headers: { upgrade: 'websocket', connection: 'keep-alive' }, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(claimed).toBe(426);
  });

  it('stops a feed once its last subscriber left', async () => {
    const status = async () => ((await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json()) as any).live;
    const idle = { feeds: 0, sockets: 0, streams: 0 };
    for (const close of closers.splice(0)) close();
    await expect.poll(status, { timeout: 5_000 }).toEqual(idle);
    const a = socket('/v1/boards/live/ws?limit=4', 'top');
    const b = sse('/v1/boards/live/stream?limit=4', 'top');
    await Promise.all([a.count(1), b.count(1)]);
    expect(await status()).toEqual({ feeds: 1, sockets: 1, streams: 1 });
    for (const close of closers.splice(0)) close();
    await expect.poll(status, { timeout: 5_000 }).toEqual(idle);
  });
});
