import { describe, expect, it } from 'vitest';
import { FakeBoards } from '../../test/fake-deps.js';
import { createCachedBoardStore } from './cached-board-store.js';

describe('cached board store', () => {
  it('serves a definition from memory for the TTL, and a PUT through it at once', async () => {
    const inner = new FakeBoards();
    const clock = { now: 0 };
    const cached = createCachedBoardStore(inner, { ttlMs: 1000, now: () => clock.now });
    await inner.put('b', { defaultOp: 'add' });
    expect((await cached.get('b'))?.defaultOp).toBe('add');
    await inner.put('b', { defaultOp: 'set' }); // another instance changed it
    expect((await cached.get('b'))?.defaultOp).toBe('add');
    clock.now = 1000;
    expect((await cached.get('b'))?.defaultOp).toBe('set');
    await cached.put('b', { defaultOp: 'best' });
    expect((await cached.get('b'))?.defaultOp).toBe('best');
  });

  it('does not remember that a board is missing', async () => {
    const inner = new FakeBoards();
    const cached = createCachedBoardStore(inner, { ttlMs: 1000, now: () => 0 });
    expect(await cached.get('late')).toBeUndefined();
    await inner.createIfMissing('late');
    expect((await cached.get('late'))?.board).toBe('late');
  });
});
