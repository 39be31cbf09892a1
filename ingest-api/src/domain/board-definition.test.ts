import { describe, expect, it } from 'vitest';
import { applyBoardPatch, resolveOp } from './board-definition.js';

describe('board definitions', () => {
  it('fills omitted fields from the current definition, else the defaults, with periods in a canonical order', () => {
    expect(applyBoardPatch(undefined, { periods: ['monthly', 'daily'] })).toEqual({
      ok: true,
      settings: { order: 'desc', defaultOp: 'add', periods: ['daily', 'monthly'] },
    });
    const current = { order: 'asc' as const, defaultOp: 'best' as const, periods: ['weekly' as const] };
    expect(applyBoardPatch(current, { defaultOp: 'set' })).toEqual({
      ok: true,
      settings: { order: 'asc', defaultOp: 'set', periods: ['weekly'] },
    });
    expect(applyBoardPatch(current, { periods: [] })).toMatchObject({ settings: { periods: [] } });
  });

  it('refuses to change the order of an existing board, but accepts restating it', () => {
    const current = { order: 'asc' as const, defaultOp: 'add' as const, periods: [] };
    expect(applyBoardPatch(current, { order: 'desc' })).toEqual({ ok: false, code: 'order_immutable' });
    expect(applyBoardPatch(current, { order: 'asc' }).ok).toBe(true);
  });

  it('resolves best to max on desc boards and min on asc boards; an explicit op wins', () => {
    expect(resolveOp(undefined, { order: 'desc', defaultOp: 'best', periods: [] })).toBe('max');
    expect(resolveOp(undefined, { order: 'asc', defaultOp: 'best', periods: [] })).toBe('min');
    expect(resolveOp('best', { order: 'asc', defaultOp: 'add', periods: [] })).toBe('min');
    expect(resolveOp('set', { order: 'asc', defaultOp: 'best', periods: [] })).toBe('set');
    expect(resolveOp(undefined, { order: 'desc', defaultOp: 'add', periods: [] })).toBe('add');
  });
});
