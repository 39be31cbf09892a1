import { describe, expect, it } from 'vitest';
import { createPlayerMinuteCounter } from './player-minute-counter.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 10);
const e = (userId: string, perMinute: number | null = 2, board = 'b') => ({ board, userId, perMinute });

describe('player minute counter', () => {
  it('lets perMinute events of a player through each minute, all or nothing per request', () => {
    const counter = createPlayerMinuteCounter();
    expect(counter.take([e('u'), e('v')], T0).allowed).toBe(true);
    const refused = counter.take([e('v'), e('u'), e('u')], T0 + 1_000);
    expect(refused).toEqual({ allowed: false, refused: [2], retryAfterMs: 49_000 });
    // nothing of the refused request was counted
    expect(counter.take([e('u'), e('v')], T0 + 2_000).allowed).toBe(true);
    expect(counter.take([e('u')], T0 + 3_000).allowed).toBe(false);
    // other boards, unlimited boards and the next minute are counted apart
    expect(counter.take([e('u', 2, 'other'), e('u', null)], T0 + 3_000).allowed).toBe(true);
    expect(counter.take([e('u'), e('u')], T0 + 50_000).allowed).toBe(true);
  });

  it('gives a released request its events back', () => {
    const counter = createPlayerMinuteCounter();
    const taken = counter.take([e('u'), e('u')], T0);
    if (!taken.allowed) throw new Error('refused');
    taken.release();
    expect(counter.take([e('u'), e('u')], T0).allowed).toBe(true);
  });
});
