import { describe, expect, it } from 'vitest';
import { fromProfileValue, profileValue, REDIS_KEY, redisKeys } from './redis-layout.js';

describe('the Redis layout', () => {
  it('puts every key under the prefix, one name per kind', () => {
    const k = redisKeys('rs:');
    expect([k.ready, k.layout, k.rebuilding, k.watermarks, k.stateVersion, k.changes, k.progress, k.boards]).toEqual([
      'rs:ready',
      'rs:layout',
      'rs:rebuilding',
      'rs:wm',
      'rs:version',
      'rs:changes',
      'rs:progress',
      'rs:boards',
    ]);
    expect(k.leaderboard('global', 'daily:2026-12-05')).toBe('rs:lb:global:daily:2026-12-05');
    expect(k.memberIndex('global', 'all')).toBe('rs:lbu:global:all');
    expect(k.profiles).toBe('rs:profiles');
    expect(k.startOf('memberIndex')).toBe('rs:lbu:');
  });

  it('keeps a profile as JSON with the version first, and reads it back', () => {
    const p = { version: 7, username: 'Añna "A" ☃', imageUrl: null, region: 'eu' };
    expect(profileValue(p)).toBe('[7,"Añna \\"A\\" ☃",null,"eu"]');
    expect(fromProfileValue(profileValue(p))).toEqual(p);
    for (const bad of [null, undefined, '', 'x', '[]', '["7","a"]', '[7]'])
      expect(fromProfileValue(bad)).toBeUndefined();
  });

  it('gives every kind its own name', () => {
    const names = Object.values(REDIS_KEY);
    expect(new Set(names).size).toBe(names.length);
  });
});
