import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ABS_VALUE } from './events/limits.js';
import { applyEvent, type FoldableEvent, type Total } from './fold.js';

const ev = (op: FoldableEvent['op'], value: number, occurredAt = 1_000): FoldableEvent => ({ op, value, occurredAt });
const total = (score: number, reachedAt = 500, eventCount = 1): Total => ({ score, reachedAt, eventCount });

describe('applyEvent', () => {
  it('creates a total from the first event of every op, counting add from 0', () => {
    for (const op of ['add', 'set', 'max', 'min'] as const) {
      expect(applyEvent(undefined, ev(op, 7, 42))).toEqual({
        ok: true,
        changed: true,
        total: { score: 7, reachedAt: 42, eventCount: 1 },
      });
    }
  });

  it('sets reachedAt on the first event even when the score is 0', () => {
    expect(applyEvent(undefined, ev('add', 0, 99))).toEqual({
      ok: true,
      changed: true,
      total: { score: 0, reachedAt: 99, eventCount: 1 },
    });
  });

  it('adds, sets, keeps the max and the min', () => {
    expect(applyEvent(total(10), ev('add', 5))).toMatchObject({ total: { score: 15 } });
    expect(applyEvent(total(10), ev('add', -15))).toMatchObject({ total: { score: -5 } });
    expect(applyEvent(total(10), ev('set', 3))).toMatchObject({ total: { score: 3 } });
    expect(applyEvent(total(10), ev('max', 12))).toMatchObject({ total: { score: 12 } });
    expect(applyEvent(total(10), ev('max', 8))).toMatchObject({ total: { score: 10 } });
    expect(applyEvent(total(10), ev('min', 8))).toMatchObject({ total: { score: 8 } });
    expect(applyEvent(total(10), ev('min', 12))).toMatchObject({ total: { score: 10 } });
  });

  it('moves reachedAt only when the score changes, but counts every event', () => {
    expect(applyEvent(total(10, 500, 3), ev('max', 4, 900))).toEqual({
      ok: true,
      changed: false,
      total: { score: 10, reachedAt: 500, eventCount: 4 },
    });
    expect(applyEvent(total(10, 500, 3), ev('add', 0, 900))).toMatchObject({
      changed: false,
      total: { reachedAt: 500 },
    });
    expect(applyEvent(total(10, 500, 3), ev('set', 10, 900))).toMatchObject({
      changed: false,
      total: { reachedAt: 500 },
    });
    expect(applyEvent(total(10, 500, 3), ev('set', 11, 900))).toMatchObject({
      changed: true,
      total: { reachedAt: 900 },
    });
  });

  it('refuses a result beyond ±(2^53−1) and leaves the total to the caller', () => {
    expect(applyEvent(total(MAX_ABS_VALUE), ev('add', 1))).toEqual({ ok: false, reason: 'overflow' });
    expect(applyEvent(total(-MAX_ABS_VALUE), ev('add', -1))).toEqual({ ok: false, reason: 'overflow' });
    expect(applyEvent(total(MAX_ABS_VALUE - 1), ev('add', 1))).toMatchObject({
      ok: true,
      total: { score: MAX_ABS_VALUE },
    });
  });

  it('agrees with plain arithmetic on any sequence of adds within range', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 1, maxLength: 50 }),
        (values) => {
          let t: Total | undefined;
          for (const v of values) {
            const r = applyEvent(t, ev('add', v));
            if (!r.ok) throw new Error('unexpected overflow');
            t = r.total;
          }
          expect(t?.score).toBe(values.reduce((a, b) => a + b, 0));
          expect(t?.eventCount).toBe(values.length);
        },
      ),
    );
  });
});

describe('tie-break columns', () => {
  const at = (occurredAt: number, tiebreaks: { value: number; op: 'add' | 'set' | 'max' | 'min' }[], value = 10) => ({
    op: 'max' as const,
    value,
    occurredAt,
    tiebreaks,
  });

  it('folds each column by its own op, starting a new total from the values given', () => {
    const first = applyEvent(
      undefined,
      at(1, [
        { value: 3, op: 'min' },
        { value: 5, op: 'add' },
      ]),
    );
    expect(first).toEqual({
      ok: true,
      changed: true,
      total: { score: 10, reachedAt: 1, eventCount: 1, tiebreaks: [3, 5] },
    });
    if (!first.ok) throw new Error('refused');
    const second = applyEvent(
      first.total,
      at(2, [
        { value: 4, op: 'min' },
        { value: 5, op: 'add' },
      ]),
    );
    expect(second).toEqual({
      ok: true,
      changed: true,
      total: { score: 10, reachedAt: 2, eventCount: 2, tiebreaks: [3, 10] },
    });
  });

  it('moves reachedAt only when the score or a column changes, and keeps columns an event leaves out', () => {
    const total = { score: 10, reachedAt: 1, eventCount: 1, tiebreaks: [3, 5] };
    expect(applyEvent(total, at(2, [{ value: 9, op: 'min' }]))).toEqual({
      ok: true,
      changed: false,
      total: { score: 10, reachedAt: 1, eventCount: 2, tiebreaks: [3, 5] },
    });
    expect(
      applyEvent(
        total,
        at(3, [
          { value: 2, op: 'max' },
          { value: 0, op: 'add' },
        ]),
      ),
    ).toMatchObject({
      changed: false,
      total: { reachedAt: 1, tiebreaks: [3, 5] },
    });
    expect(applyEvent(total, at(4, [{ value: 1, op: 'set' }]))).toMatchObject({
      changed: true,
      total: { reachedAt: 4, tiebreaks: [1, 5] },
    });
  });

  it('refuses an event whose column would leave ±(2^53−1)', () => {
    const total = { score: 10, reachedAt: 1, eventCount: 1, tiebreaks: [Number.MAX_SAFE_INTEGER] };
    expect(applyEvent(total, at(2, [{ value: 1, op: 'add' }]))).toEqual({ ok: false, reason: 'overflow' });
  });
});

describe('tie-break columns from a total that has none', () => {
  it('counts a column that stays at 0 as no change, so reachedAt keeps its place', () => {
    const plain = { score: 10, reachedAt: 1, eventCount: 1 };
    expect(
      applyEvent(plain, {
        op: 'max',
        value: 5,
        occurredAt: 2,
        tiebreaks: [
          { value: 0, op: 'add' },
          { value: 0, op: 'set' },
        ],
      }),
    ).toEqual({ ok: true, changed: false, total: { score: 10, reachedAt: 1, eventCount: 2, tiebreaks: [0, 0] } });
  });
});
