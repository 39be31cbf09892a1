import { describe, expect, it } from 'vitest';
import { createLogEnds } from './log-ends.js';

describe('log ends', () => {
  it('gives the fetch high watermark while the heartbeat has recorded nothing', () => {
    expect(createLogEnds().latest(0, 42)).toBe(42);
  });

  it('gives the newer of the recorded log end and the one a fetch saw', () => {
    const ends = createLogEnds();
    ends.record(0, 100);
    expect(ends.latest(0, 90)).toBe(100);
    expect(ends.latest(0, 120)).toBe(120);
    expect(ends.latest(1, 5)).toBe(5);
  });

  it('never moves back when an older log end is recorded after a newer one', () => {
    const ends = createLogEnds();
    ends.record(0, 100);
    ends.record(0, 80);
    expect(ends.latest(0, 0)).toBe(100);
  });

  it('forgets a partition whose log was replaced, so the new, shorter log end counts again', () => {
    const ends = createLogEnds();
    ends.record(0, 100);
    ends.record(1, 50);
    ends.restart(0);
    expect(ends.latest(0, 7)).toBe(7);
    ends.record(0, 9);
    expect(ends.latest(0, 7)).toBe(9);
    expect(ends.latest(1, 0)).toBe(50);
  });
});
