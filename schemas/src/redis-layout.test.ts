import { describe, expect, it } from 'vitest';
import { REDIS_KEY, redisKeys } from './redis-layout.js';

describe('the Redis layout', () => {
  it('puts every key under the prefix, one name per kind', () => {
    const k = redisKeys('rs:');
    expect([k.ready, k.rebuilding, k.watermarks, k.stateVersion, k.changes, k.progress, k.boards]).toEqual([
      'rs:ready',
      'rs:rebuilding',
      'rs:wm',
      'rs:version',
      'rs:changes',
      'rs:progress',
      'rs:boards',
    ]);
    expect(k.leaderboard('global', 'daily:2026-12-05')).toBe('rs:lb:global:daily:2026-12-05');
    expect(k.memberIndex('global', 'all')).toBe('rs:lbu:global:all');
    expect(k.profile('alice')).toBe('rs:profile:alice');
    expect(k.startOf('memberIndex')).toBe('rs:lbu:');
  });

  it('gives every kind its own name', () => {
    const names = Object.values(REDIS_KEY);
    expect(new Set(names).size).toBe(names.length);
  });
});
