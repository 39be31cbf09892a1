import { createLogger } from '@rankstream/schemas/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scope } from '../domain/answers.js';
import { createFeedHub, type FeedHub, type FeedMessage, type FeedSpec } from './feed-hub.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose watermark and answer the test moves by hand, counting the answer's reads. */
function fakeStore() {
  const store = { offset: 1, body: '{"n":1}' as string | undefined, reads: 0 };
  return store;
}

function hubOver(store: ReturnType<typeof fakeStore>, heartbeatMs = 10_000): FeedHub {
  return createFeedHub({
    readState: async () => ({ servedBy: 'redis', state: { watermark: { 0: store.offset }, progress: {} } }),
    now: Date.now,
    logger: createLogger('test', 'silent'),
    pollMs: 5,
    minIntervalMs: 0,
    heartbeatMs,
  });
}

function spec(store: ReturnType<typeof fakeStore>, key = 'top|global'): FeedSpec {
  const scope: Scope = { board: 'global', period: 'all', periodKey: 'all' };
  return {
    key,
    event: 'top',
    scopeNow: () => scope,
    readBody: async () => {
      store.reads++;
      return store.body;
    },
  };
}

function collector() {
  const got: FeedMessage[] = [];
  let ended = false;
  return {
    got,
    ended: () => ended,
    subscriber: {
      send: (m: FeedMessage) => got.push(m),
      end: () => {
        ended = true;
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
    await sleep(30);
    // when the watermark moves twice with a new answer, and once with the same answer
    store.offset = 2;
    store.body = '{"n":2}';
    await sleep(30);
    store.offset = 3;
    await sleep(30);
    store.offset = 4;
    store.body = '{"n":3}';
    await sleep(30);
    // then each got the three answers in order, from one read per watermark
    for (const s of subs) expect(s.answers()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(store.reads).toBe(4);
    expect(hub.size()).toBe(1);
  });

  it('gives a subscriber who joins later the current answer at once', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    hub.subscribe(spec(store), collector().subscriber);
    await sleep(30);
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
    await sleep(30);
    expect(hub.size()).toBe(2);
    expect([a.answers(), b.answers()]).toEqual([['{"n":1}'], ['{"n":1}']]);
  });

  it('sends heartbeats to a silent subscriber', async () => {
    const store = fakeStore();
    hub = hubOver(store, 20);
    const s = collector();
    hub.subscribe(spec(store), s.subscriber);
    await sleep(80);
    expect(s.got.filter((m) => m.event === 'heartbeat').length).toBeGreaterThanOrEqual(2);
    for (const m of s.got.filter((x) => x.event === 'heartbeat')) expect(Number(m.data)).toBeGreaterThan(0);
  });

  it('stops reading once its last subscriber left', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const leave = hub.subscribe(spec(store), collector().subscriber);
    await sleep(30);
    leave();
    await sleep(30);
    const reads = store.reads;
    store.offset = 9;
    await sleep(30);
    expect([hub.size(), store.reads]).toEqual([0, reads]);
  });

  it('tells every subscriber when the board is gone, and ends the feed', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const subs = [collector(), collector()];
    for (const s of subs) hub.subscribe(spec(store), s.subscriber);
    await sleep(30);
    store.body = undefined;
    store.offset = 2;
    await sleep(30);
    for (const s of subs) {
      expect(s.got.at(-1)).toEqual({ event: 'error', data: '{"code":"board_not_found"}' });
      expect(s.ended()).toBe(true);
    }
    expect(hub.size()).toBe(0);
  });

  it('ends every subscriber when stopped', async () => {
    const store = fakeStore();
    hub = hubOver(store);
    const s = collector();
    hub.subscribe(spec(store), s.subscriber);
    hub.stop();
    expect([s.ended(), hub.size()]).toEqual([true, 0]);
  });
});
