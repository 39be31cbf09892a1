import { describe, expect, it } from 'vitest';
import {
  cpuShares,
  formatShares,
  isPostgresLabel,
  POSTGRES_EXITED_LABEL,
  postgresReapedInto,
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

  it("counts a reaped PostgreSQL session's time inside the window once, under the exited label", () => {
    // given a session that had used 300 ticks when the window opened
    const before = [
      { pid: 1, label: POSTGRES_EXITED_LABEL, ticks: 1_000 },
      { pid: 5, label: 'postgres', ticks: 300 },
      { pid: 6, label: 'postgres', ticks: 40 },
    ];
    // when it uses 200 more and closes, and the postmaster reaps it with its 500 (and another's 50)
    const after = [
      { pid: 1, label: POSTGRES_EXITED_LABEL, ticks: 1_550 },
      { pid: 7, label: 'postgres', ticks: 50 },
    ];
    // then 200 + 10 ticks count as exited, and the one that started and kept running its own 50
    expect(cpuShares(before, after, 2, postgresReapedInto)).toEqual([
      { label: POSTGRES_EXITED_LABEL, cores: 1.05 },
      { label: 'postgres', cores: 0.25 },
    ]);
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
    expect(processLabel('postgres', 'postgres: 15/main: walwriter')).toBe('postgres writers (checkpoint, WAL)');
    expect(processLabel('postgres', 'postgres: 15/main: checkpointer')).toBe('postgres writers (checkpoint, WAL)');
    expect(processLabel('postgres', 'postgres: 15/main: autovacuum worker leaderboard')).toBe('postgres autovacuum');
    expect(processLabel('postgres', 'postgres: 15/main: postgres leaderboard 127.0.0.1(5123) idle')).toBe('postgres');
    expect(processLabel('postgres', '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main')).toBe(
      'postgres',
    );
    expect(processLabel('node', 'node tools/dist/bench/run.js')).toBe('bench process');
  });

  it("groups PostgreSQL's processes, whatever their role, and nothing else", () => {
    const roles = ['walwriter', 'autovacuum worker leaderboard', 'postgres leaderboard [local] idle'];
    for (const role of roles)
      expect(isPostgresLabel(processLabel('postgres', `postgres: 15/main: ${role}`))).toBe(true);
    expect(isPostgresLabel(POSTGRES_EXITED_LABEL)).toBe(true);
    expect(isPostgresLabel(processLabel('node', 'node /w/query-api/dist/main.js'))).toBe(false);
    expect(isPostgresLabel('postgresql-exporter')).toBe(false);
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
