import { describe, expect, it } from 'vitest';
import {
  epochMarkers,
  fromProfileValue,
  keptPeriodsOf,
  layoutMark,
  profileValue,
  REDIS_KEY,
  REDIS_LAYOUT,
  redisKeys,
} from './redis-layout.js';
import { REDIS_SLOTS, slotOf, slotTags } from './redis-slots.js';

describe('the Redis layout', () => {
  it('marks the layout with the cap and the instances kept per period, which readers parse back', () => {
    expect(layoutMark(0)).toBe(REDIS_LAYOUT);
    expect(layoutMark(1000, 3)).toBe(`${REDIS_LAYOUT}:top=1000:keep=3`);
    expect(layoutMark(0, 2)).toBe(`${REDIS_LAYOUT}:keep=2`);
    expect(keptPeriodsOf(layoutMark(1000, 3))).toBe(3);
    expect(keptPeriodsOf(layoutMark(1000))).toBe(0);
    expect(keptPeriodsOf(REDIS_LAYOUT)).toBe(0);
  });

  it('puts every key under the prefix, one name per kind, tagged by what a script touches together', () => {
    const k = redisKeys('rs:');
    expect([k.ready, k.layout, k.rebuilding, k.watermarks, k.stateVersion, k.changes, k.progress, k.boards]).toEqual([
      'rs:{s}ready',
      'rs:{s}layout',
      'rs:{s}rebuilding',
      'rs:{s}wm',
      'rs:{s}version',
      'rs:changes',
      'rs:{s}progress',
      'rs:{s}boards',
    ]);
    expect(k.leaderboard('global', 'daily:2026-12-05')).toBe('rs:lb:{global:daily:2026-12-05}');
    expect(k.memberIndex('global', 'all')).toBe('rs:lbu:{global:all}');
    expect(k.profiles).toBe('rs:{p}profiles');
    expect(k.startOf('memberIndex')).toBe('rs:lbu:');
    expect(() => redisKeys('rs{x}:')).toThrow(/must not contain/);
  });

  it('keeps the keys of one script in one cluster slot', () => {
    const k = redisKeys('any:prefix:');
    const state = [k.ready, k.layout, k.rebuilding, k.watermarks, k.stateVersion, k.progress, k.boards].map(slotOf);
    expect(new Set(state).size).toBe(1);
    expect(slotOf(k.leaderboard('b', 'weekly:2026-W49'))).toBe(slotOf(k.memberIndex('b', 'weekly:2026-W49')));
    // Board instances spread over the cluster instead of sharing the state's slot.
    const instances = new Set(
      ['all', 'daily:2026-12-05', 'weekly:2026-W49', 'monthly:2026-12'].map((p) => slotOf(k.leaderboard('b', p))),
    );
    expect(instances.size).toBe(4);
  });

  it('has a tag for every slot, so that each slot has an epoch marker beside its data', () => {
    const tags = slotTags();
    expect(tags).toHaveLength(REDIS_SLOTS);
    expect(tags.every((tag, slot) => slotOf(`{${tag}}`) === slot)).toBe(true);
    const k = redisKeys('rs:');
    const onCluster = epochMarkers(k, true);
    for (const key of [k.leaderboard('b', 'all'), k.profiles, k.watermarks]) {
      expect(slotOf(onCluster.of(key))).toBe(slotOf(key));
    }
    expect(onCluster.all()).toHaveLength(REDIS_SLOTS);
    expect(new Set(onCluster.all().map(slotOf)).size).toBe(REDIS_SLOTS);
    // A standalone server has one marker: `ready`, which every rebuild sets.
    const standalone = epochMarkers(k, false);
    expect(standalone.of(k.leaderboard('b', 'all'))).toBe(k.ready);
    expect(standalone.all()).toEqual([]);
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
