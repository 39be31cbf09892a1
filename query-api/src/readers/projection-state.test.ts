import { createLogger } from '@rankstream/schemas/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProjectionStateCache, type StateSnapshot } from './projection-state.js';

const logger = createLogger('test', 'silent');
const state = (version: string, offset: number): StateSnapshot => ({
  version,
  epoch: 'e1',
  keepPeriods: 0,
  boards: new Map(),
  state: { watermark: { 0: offset }, progress: {}, version },
});

describe('the projection state kept in memory', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the state of the later-sent command when replies are applied out of order', () => {
    const cache = new ProjectionStateCache(async () => undefined, logger);
    const older = cache.ticket();
    const newer = cache.ticket();
    cache.offer(state('11', 8), newer);
    cache.offer(state('10', 7), older);
    expect(cache.snapshot()?.version).toBe('11');
  });

  it('wakes waiters when the version changes, not when the same version is offered again', async () => {
    const cache = new ProjectionStateCache(async () => undefined, logger);
    cache.offer(state('1', 1));
    let woken = 0;
    const waiting = cache.nextChange(10_000).then(() => woken++);
    cache.offer(state('1', 1));
    await Promise.resolve();
    expect(woken).toBe(0);
    cache.offer(state('2', 2));
    await waiting;
    expect(woken).toBe(1);
  });

  it('forgets a state no fetch has confirmed for three fetch timeouts (a hung connection)', () => {
    vi.useFakeTimers();
    const cache = new ProjectionStateCache(() => new Promise(() => {}), logger);
    const subscriber = { on: () => subscriber, subscribe: async () => 1, status: 'connecting', disconnect() {} };
    cache.start({ subscriber: subscriber as never, channel: 'c', pollMs: 100 });
    cache.offer(state('5', 5));
    vi.advanceTimersByTime(2_999);
    expect(cache.snapshot()?.version).toBe('5');
    vi.advanceTimersByTime(2);
    expect(cache.snapshot()).toBeUndefined();
    cache.stop();
  });
});
