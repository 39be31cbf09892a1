import { describe, expect, it } from 'vitest';
import {
  cpuShares,
  formatShares,
  processLabel,
  totalCores,
  UNATTRIBUTED_LABEL,
  withUnattributed,
} from './cpu-share.js';

describe('CPU shares between two /proc snapshots', () => {
  it('sums the ticks used per label and converts them to cores', () => {
    const before = [
      { pid: 1, label: 'postgres', ticks: 100 },
      { pid: 2, label: 'postgres', ticks: 50 },
      { pid: 3, label: 'score-projector', ticks: 10 },
    ];
    const after = [
      { pid: 1, label: 'postgres', ticks: 600 },
      { pid: 2, label: 'postgres', ticks: 150 },
      { pid: 3, label: 'score-projector', ticks: 410 },
      { pid: 4, label: 'redis', ticks: 100 },
    ];
    expect(cpuShares(before, after, 10)).toEqual([
      { label: 'postgres', cores: 0.6 },
      { label: 'score-projector', cores: 0.4 },
      { label: 'redis', cores: 0.1 },
    ]);
  });

  it('counts a reused pid with another label from zero and ignores idle processes', () => {
    const before = [
      { pid: 7, label: 'query-api', ticks: 900 },
      { pid: 8, label: 'redis', ticks: 5 },
    ];
    const after = [
      { pid: 7, label: 'score-projector', ticks: 200 },
      { pid: 8, label: 'redis', ticks: 5 },
    ];
    expect(cpuShares(before, after, 2)).toEqual([{ label: 'score-projector', cores: 1 }]);
  });

  it('adds what the machine spent beyond the sampled processes, so the shares sum to the machine', () => {
    const shares = [
      { label: 'postgres', cores: 0.5 },
      { label: 'redis', cores: 0.25 },
    ];
    const whole = withUnattributed(shares, 1.5);
    expect(whole).toEqual([
      { label: UNATTRIBUTED_LABEL, cores: 0.75 },
      { label: 'postgres', cores: 0.5 },
      { label: 'redis', cores: 0.25 },
    ]);
    expect(totalCores(whole)).toBe(1.5);
    // sampling noise that puts the processes above the machine adds nothing
    expect(withUnattributed(shares, 0.7)).toEqual(shares);
  });

  it('tells the stack apart by command line', () => {
    expect(processLabel('java', 'java -cp /x/* kafka.Kafka server.properties')).toBe('kafka broker');
    expect(processLabel('java', 'java -jar apicurio-registry-app.jar')).toBe('schema registry');
    expect(processLabel('node', 'node /w/score-projector/dist/main.js')).toBe('score-projector');
    expect(processLabel('postgres', 'postgres: 15/main: walwriter')).toBe('postgres');
    expect(processLabel('node', 'node tools/dist/bench/run.js')).toBe('bench process');
  });

  it('formats the shares worth mentioning', () => {
    expect(
      formatShares([
        { label: 'postgres', cores: 0.934 },
        { label: 'redis', cores: 0.005 },
      ]),
    ).toBe('postgres 0.93');
  });
});
