import { describe, expect, it } from 'vitest';
import { createRedisHealth, type RedisHealth, type RedisObservation } from './redis-health.js';

/** A check's reading: Redis ready, partitions 0 and 1 with these watermarks and checkpoints. */
function reading(
  health: RedisHealth,
  wm: [number, number],
  checkpoints: [number, number],
  overrides: Partial<RedisObservation> = {},
): RedisObservation {
  return {
    ready: true,
    watermarks: new Map([
      [0, wm[0]],
      [1, wm[1]],
    ]),
    checkpoints: new Map([
      [0, checkpoints[0]],
      [1, checkpoints[1]],
    ]),
    partitions: [0, 1],
    startedBefore: health.batchesStarted(),
    ...overrides,
  };
}

describe('Redis health', () => {
  it('asks for nothing while Redis is level with PostgreSQL', () => {
    const health = createRedisHealth();
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBeUndefined();
  });

  it('rebuilds a flushed Redis first, whatever else it read', () => {
    const health = createRedisHealth();
    health.writeFailed();
    expect(health.reasonToRebuild(reading(health, [0, 0], [10, 20], { ready: false }))).toBe('missing');
  });

  it('rebuilds after a failed write until a rebuild has taken its snapshot, and again if that rebuild fails', () => {
    const health = createRedisHealth();
    expect(health.writeFailed()).toBe(true);
    expect(health.writeFailed()).toBe(false); // logged once
    expect(health.rebuildPending()).toBe(true);
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBe('write_failed');
    health.rebuildStarted();
    expect(health.rebuildPending()).toBe(false);
    health.rebuildFailed('write_failed');
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBe('write_failed');
    health.rebuildStarted();
    health.rebuildFailed('behind');
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBe('behind');
  });

  it('tells a quiet partition behind PostgreSQL (a crash after COMMIT) from one ahead of it (a replaced log)', () => {
    const health = createRedisHealth();
    expect(health.reasonToRebuild(reading(health, [7, 20], [10, 20]))).toBe('behind');
    expect(health.reasonToRebuild(reading(health, [-1, 20], [10, 20]))).toBe('behind');
    expect(health.reasonToRebuild(reading(health, [12, 20], [10, 20]))).toBe('ahead');
  });

  it('leaves out a partition with a batch in flight, or one whose batch started while the check read', () => {
    const health = createRedisHealth();
    health.batchStarted(0);
    expect(health.reasonToRebuild(reading(health, [7, 20], [10, 20]))).toBeUndefined();
    health.batchEnded(0);
    const before = health.batchesStarted();
    health.batchStarted(1);
    health.batchEnded(1);
    expect(health.reasonToRebuild(reading(health, [10, 15], [10, 20], { startedBefore: before }))).toBeUndefined();
    expect(health.reasonToRebuild(reading(health, [10, 15], [10, 20]))).toBe('behind');
  });

  it('checks each partition’s watermark once per assignment, and a hole found there holds watermarks back', () => {
    const health = createRedisHealth();
    expect(health.needsWatermarkCheck(3)).toBe(true);
    expect(health.watermarkChecked(3, 40, 40)).toBe(false);
    expect(health.needsWatermarkCheck(3)).toBe(false);
    expect(health.rebuildPending()).toBe(false);
    health.partitionsAssigned();
    expect(health.needsWatermarkCheck(3)).toBe(true);
    expect(health.watermarkChecked(3, 35, 40)).toBe(true);
    expect(health.rebuildPending()).toBe(true);
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBe('behind');
    health.writeFailed();
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBe('behind');
  });

  it('after a replaced log, asks for a discard and a rebuild from scratch until the discard is done', () => {
    const health = createRedisHealth();
    health.logRestarted();
    expect(health.mustDiscard()).toBe(true);
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBe('ahead');
    health.discardDone();
    expect(health.mustDiscard()).toBe(false);
    expect(health.reasonToRebuild(reading(health, [10, 20], [10, 20]))).toBeUndefined();
  });
});
