import { describe, expect, it } from 'vitest';
import { applyBoardPatch, resolveOp } from './board-definition.js';

const NO_LIMITS = {
  tiebreaks: [],
  maxEventsPerMinute: null,
  maxDelta: null,
  timeZone: 'UTC',
  weekStartsOn: 'monday' as const,
  calendarFixed: false,
};

describe('board definitions', () => {
  it('keeps a per-player limit a patch omits, sets one it gives, and lifts one it nulls', () => {
    const limited = applyBoardPatch(undefined, { maxEventsPerMinute: 60, maxDelta: 500 });
    expect(limited).toMatchObject({ settings: { maxEventsPerMinute: 60, maxDelta: 500 } });
    if (!limited.ok) throw new Error('refused');
    expect(applyBoardPatch(limited.settings, { periods: ['daily'] })).toMatchObject({
      settings: { maxEventsPerMinute: 60, maxDelta: 500 },
    });
    expect(applyBoardPatch(limited.settings, { maxDelta: null })).toMatchObject({
      settings: { maxEventsPerMinute: 60, maxDelta: null },
    });
  });

  it('fills omitted fields from the current definition, else the defaults, with periods in a canonical order', () => {
    expect(applyBoardPatch(undefined, { periods: ['monthly', 'daily'] })).toEqual({
      ok: true,
      settings: { order: 'desc', defaultOp: 'add', periods: ['daily', 'monthly'], ...NO_LIMITS, calendarFixed: true },
    });
    const current = { order: 'asc' as const, defaultOp: 'best' as const, periods: ['weekly' as const], ...NO_LIMITS };
    expect(applyBoardPatch(current, { defaultOp: 'set' })).toEqual({
      ok: true,
      settings: { order: 'asc', defaultOp: 'set', periods: ['weekly'], ...NO_LIMITS, calendarFixed: true },
    });
    expect(applyBoardPatch(current, { periods: [] })).toMatchObject({ settings: { periods: [] } });
  });

  it('refuses to change the order of an existing board, but accepts restating it', () => {
    const current = { order: 'asc' as const, defaultOp: 'add' as const, periods: [], ...NO_LIMITS };
    expect(applyBoardPatch(current, { order: 'desc' })).toEqual({ ok: false, field: 'order' });
    expect(applyBoardPatch(current, { order: 'asc' }).ok).toBe(true);
  });

  it('lets the calendar change until the board keeps periods, and then only be restated', () => {
    const plain = { order: 'desc' as const, defaultOp: 'add' as const, periods: [], ...NO_LIMITS };
    const local = applyBoardPatch(plain, { timeZone: 'America/New_York', weekStartsOn: 'sunday', periods: ['daily'] });
    expect(local).toMatchObject({ ok: true, settings: { timeZone: 'America/New_York', weekStartsOn: 'sunday' } });
    if (!local.ok) throw new Error('refused');
    expect(applyBoardPatch(local.settings, { timeZone: 'Europe/Paris' })).toEqual({ ok: false, field: 'timeZone' });
    expect(applyBoardPatch(local.settings, { weekStartsOn: 'monday' })).toEqual({ ok: false, field: 'weekStartsOn' });
    expect(applyBoardPatch(local.settings, { timeZone: 'America/New_York', periods: ['daily', 'weekly'] }).ok).toBe(
      true,
    );
    // without periods again, the instances it named remain: the calendar stays fixed
    const bare = applyBoardPatch(local.settings, { periods: [] });
    if (!bare.ok) throw new Error('refused');
    expect(applyBoardPatch(bare.settings, { timeZone: 'Europe/Paris' })).toEqual({ ok: false, field: 'timeZone' });
  });

  it('resolves best to max on desc boards and min on asc boards; an explicit op wins', () => {
    expect(resolveOp(undefined, { order: 'desc', defaultOp: 'best' })).toBe('max');
    expect(resolveOp(undefined, { order: 'asc', defaultOp: 'best' })).toBe('min');
    expect(resolveOp('best', { order: 'asc', defaultOp: 'add' })).toBe('min');
    expect(resolveOp('set', { order: 'asc', defaultOp: 'best' })).toBe('set');
    expect(resolveOp(undefined, { order: 'desc', defaultOp: 'add' })).toBe('add');
  });
});
