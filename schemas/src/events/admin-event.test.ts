import { describe, expect, it } from 'vitest';
import { adminEventSchema } from './admin-event.js';

const base = { eventId: 'a1', userId: 'u1', actor: 'moderator', occurredAt: Date.UTC(2026, 11, 6) };

describe('adminEventSchema', () => {
  it('takes a removal of one board or one of its instances, and bans that name no board', () => {
    expect(adminEventSchema.parse({ ...base, action: 'remove_entry', board: 'global' })).toMatchObject({
      periodKey: null,
      reason: null,
    });
    expect(
      adminEventSchema.parse({ ...base, action: 'remove_entry', board: 'global', periodKey: 'weekly:2026-W49' })
        .periodKey,
    ).toBe('weekly:2026-W49');
    expect(adminEventSchema.parse({ ...base, action: 'ban', reason: 'bot' }).board).toBeNull();
  });

  it('names the field a bad action gets wrong', () => {
    const paths = (input: object) => adminEventSchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ ...base, action: 'remove_entry' })).toEqual(['board']);
    expect(paths({ ...base, action: 'ban', board: 'global' })).toEqual(['board']);
    expect(paths({ ...base, action: 'remove_entry', board: 'global', periodKey: 'daily:06-12-2026' })).toEqual([
      'periodKey',
    ]);
    expect(paths({ ...base, action: 'erase', board: 'global' })).toEqual(['board']);
    expect(paths({ ...base, action: 'delete' })).toEqual(['action']);
  });
});
