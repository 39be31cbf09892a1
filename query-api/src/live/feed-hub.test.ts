import { HttpError } from '@rankstream/schemas';
import { createLogger } from '@rankstream/schemas/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Scope } from '../domain/answers.js';
import { createFeedHub, type FeedEnd, type FeedHub, type FeedMessage, type FeedSpec } from './feed-hub.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for a condition the hub reaches within a few polls, however slow the machine is today. */
const until = (check: () => void) => vi.waitFor(check, { timeout: 5_000, interval: 5 });

/** A store whose watermark and answer the test moves by hand, counting the answer's reads. */
function fakeStore() {
  return { offset: 1, body: '{"n":1}' as string | undefined, reads: 0, stateReads: 0 };
}

function hubOver(store: ReturnType<typeof fakeStore>, heartbeatMs = 10_000): FeedHub {
  return createFeedHub({
    readState: async () => {
      store.stateReads++;
      return { servedBy: 'redis', state: { watermark: { 0: store.offset }, progress: {} } };
    },
    now: Date.now,
    logger: createLogger('test', 'silent'),
    pollMs: 5,
    minIntervalMs: 0,
    heartbeatMs,
  });
}

function spec(store: ReturnType<typeof fakeStore>, key = 'top|global'): FeedSpec {
  const scope: Scope = { board: 'global', period: 'all', periodKey: 'all', calendar: null };
  return {
    key,
    event: 'top',
    scopeNow: () => scope,
    readBody: async () => {
      store.reads++;
      if (store.body === undefined) throw new HttpError(404, 'board_not_found', 'no board "global"');
      return store.body;
    },
  };
}

function collector() {
  const got: FeedMessage[] = [];
  let ended: FeedEnd | undefined;
  return {
    got,
    ended: () => ended,
    subscriber: {
      send: (m: FeedMessage) => got.push(m),
      end: (why: FeedEnd) => {
        ended = why;
      },
    },
    answers: () => got.filter((m) => m.event === 'top').map((m) => m.data),
  };
}

let hub: FeedHub | undefined;
afterEach(() => hub?.stop());

describe('live feeds shared by their subscribers', () => {
  it('reads an answer once per change for all subscribers of the feed, and pushes only changes', async () => {
    // given 1,200 subscribers of one board's top (more than one slice of the fan-out)
    const store = fakeStore();
    hub = hubOver(store);
    const subs = Array.from({ length: 1_200 }, () => collector());
    for (const s of subs) hub.subscribe(spec(store), s.subscriber);
    await until(() => expect(subs.every((s) => s.answers().length === 1)).toBe(true));
    // when the watermark moves with a new answer, then with the same answer, then with a new one
    store.offset = 2;
    store.body = '{"n":2}';
    await until(() => expect(subs.every((s) => s.answers().length === 2)).toBe(true));
    store.offset = 3;
    await until(() => expect(store.reads).toBe(3));
    store.offset = 4;
    store.body = '{"n":3}';
    await until(() => expect(subs.every((s) => s.answers().length === 3)).toBe(true));
    // then each got the three answers in order, from one read per watermark
    for (const s of subs) expect(s.answers()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(store.reads).toBe(4);
    expect(hub.size()).toBe(1);
  });

  it('reads the projection state once per poll for all feeds together', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const subs = Array.from({ length: 50 }, () => collector());
    for (const [i, s] of subs.entries()) hub.subscribe(spec(store, `rank|${i}`), s.subscriber);
    await until(() => expect(subs.every((s) => s.answers().length === 1)).toBe(true));
    const [states, reads] = [store.stateReads, store.reads];
    await sleep(50);
    // 50 feeds, ~10 polls: ~10 state reads, not 500, and no answer read while nothing moved
    expect(store.stateReads - states).toBeLessThan(20);
    expect(store.reads).toBe(reads);
    expect(hub.size()).toBe(50);
  });

  it('gives a subscriber who joins later the current answer at once', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const first = collector();
    hub.subscribe(spec(store), first.subscriber);
    await until(() => expect(first.answers()).toEqual(['{"n":1}']));
    const late = collector();
    hub.subscribe(spec(store), late.subscriber);
    expect(late.answers()).toEqual(['{"n":1}']);
    expect(store.reads).toBe(1);
  });

  it('keeps feeds with different keys apart', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const a = collector();
    const b = collector();
    hub.subscribe(spec(store, 'top|a'), a.subscriber);
    hub.subscribe(spec(store, 'top|b'), b.subscriber);
    await until(() => expect([a.answers(), b.answers()]).toEqual([['{"n":1}'], ['{"n":1}']]));
    expect(hub.size()).toBe(2);
  });

  it('sends heartbeats to a silent subscriber', async () => {
    const store = fakeStore();
    hub = hubOver(store, 20);
    const s = collector();
    hub.subscribe(spec(store), s.subscriber);
    await until(() => expect(s.got.filter((m) => m.event === 'heartbeat').length).toBeGreaterThanOrEqual(2));
    for (const m of s.got.filter((x) => x.event === 'heartbeat')) expect(Number(m.data)).toBeGreaterThan(0);
  });

  it('stops reading once its last subscriber left', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const s = collector();
    const leave = hub.subscribe(spec(store), s.subscriber);
    await until(() => expect(s.answers().length).toBe(1));
    leave();
    await until(() => expect(hub?.size()).toBe(0));
    const [reads, states] = [store.reads, store.stateReads];
    store.offset = 9;
    await sleep(30);
    expect([store.reads, store.stateReads]).toEqual([reads, states]);
  });

  it('tells every subscriber when the board is gone, and ends the feed', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const subs = [collector(), collector()];
    for (const s of subs) hub.subscribe(spec(store), s.subscriber);
    await until(() => expect(subs.every((s) => s.answers().length === 1)).toBe(true));
    store.body = undefined;
    store.offset = 2;
    await until(() => expect(subs.every((s) => s.ended() === 'gone')).toBe(true));
    for (const s of subs) expect(s.got.at(-1)).toEqual({ event: 'error', data: '{"code":"board_not_found"}' });
    expect(hub.size()).toBe(0);
  });

  it('lets a slow feed hold up only itself', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    let release: () => void = () => {};
    const slow: FeedSpec = {
      ...spec(store, 'top|slow'),
      readBody: () => new Promise<string>((resolve) => (release = () => resolve('{"slow":true}'))),
    };
    const waiting = collector();
    const quick = collector();
    hub.subscribe(slow, waiting.subscriber);
    hub.subscribe(spec(store, 'top|quick'), quick.subscriber);
    await until(() => expect(quick.answers()).toEqual(['{"n":1}']));
    store.offset = 2;
    store.body = '{"n":2}';
    await until(() => expect(quick.answers()).toEqual(['{"n":1}', '{"n":2}']));
    expect(waiting.answers()).toEqual([]);
    release();
    await until(() => expect(waiting.answers()).toEqual(['{"slow":true}']));
  });

  it('keeps beating while the projection state cannot be read, and carries on once it can', async () => {
    const store = fakeStore();
    let down = false;
    hub = createFeedHub({
      readState: async () => {
        if (down) throw new Error('both stores down');
        return { servedBy: 'postgres', state: { watermark: { 0: store.offset }, progress: {} } };
      },
      now: Date.now,
      logger: createLogger('test', 'silent'),
      pollMs: 5,
      minIntervalMs: 0,
      heartbeatMs: 20,
    });
    const s = collector();
    hub.subscribe(spec(store), s.subscriber);
    await until(() => expect(s.answers()).toEqual(['{"n":1}']));
    down = true;
    const beats = s.got.filter((m) => m.event === 'heartbeat').length;
    await until(() => expect(s.got.filter((m) => m.event === 'heartbeat').length).toBeGreaterThan(beats + 1));
    store.offset = 2;
    store.body = '{"n":2}';
    down = false;
    await until(() => expect(s.answers()).toEqual(['{"n":1}', '{"n":2}']));
    expect(s.ended()).toBeUndefined();
  });

  it('ends every subscriber when stopped, and any who subscribes afterwards', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const s = collector();
    hub.subscribe(spec(store), s.subscriber);
    hub.stop();
    expect([s.ended(), hub.size()]).toEqual(['shutdown', 0]);
    const late = collector();
    hub.subscribe(spec(store), late.subscriber);
    await until(() => expect(late.ended()).toBe('shutdown'));
    expect(hub.size()).toBe(0);
  });
});
