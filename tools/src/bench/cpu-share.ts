/** CPU time per process between two snapshots, grouped by what the process is (pure). */
export interface ProcessSample {
  pid: number;
  /** What to group by, e.g. `postgres`, `kafka`, `score-projector`. */
  label: string;
  /** utime + stime in clock ticks. */
  ticks: number;
}

export interface CpuShare {
  label: string;
  /** Share of one core over the window: 1.0 = one core fully busy. */
  cores: number;
}

/**
 * Cores used per label between `before` and `after`. A process that started inside the window counts
 * from zero; one that exited is lost (its time is unknown), which only understates short-lived ones,
 * unless its parent reaped it into a label that `reapedInto` names: that label's growth holds the
 * process's whole life, so the part it had used before the window is taken off again.
 */
export function cpuShares(
  before: readonly ProcessSample[],
  after: readonly ProcessSample[],
  seconds: number,
  reapedInto: (label: string) => string | undefined = () => undefined,
  ticksPerSecond = 100,
): CpuShare[] {
  const key = (s: ProcessSample) => `${s.pid}:${s.label}`;
  const start = new Map(before.map((s) => [key(s), s.ticks]));
  const byLabel = new Map<string, number>();
  const add = (label: string, ticks: number) => byLabel.set(label, (byLabel.get(label) ?? 0) + ticks);
  for (const s of after) {
    const used = s.ticks - (start.get(key(s)) ?? 0);
    if (used > 0) add(s.label, used);
  }
  const alive = new Set(after.map(key));
  for (const s of before) {
    const into = alive.has(key(s)) ? undefined : reapedInto(s.label);
    if (into !== undefined) add(into, -s.ticks);
  }
  return [...byLabel]
    .filter(([, ticks]) => ticks > 0)
    .map(([label, ticks]) => ({ label, cores: ticks / ticksPerSecond / seconds }))
    .sort((a, b) => b.cores - a.cores || a.label.localeCompare(b.label));
}

export const UNATTRIBUTED_LABEL = 'unattributed (kernel, other exited)';

/** Adds what the machine spent beyond the processes' own time, so that the shares sum to `machineCores`. */
export function withUnattributed(shares: readonly CpuShare[], machineCores: number): CpuShare[] {
  const rest = machineCores - shares.reduce((sum, s) => sum + s.cores, 0);
  if (rest <= 0) return [...shares];
  return [...shares, { label: UNATTRIBUTED_LABEL, cores: rest }].sort((a, b) => b.cores - a.cores);
}

/** All the cores a window's shares describe. */
export function totalCores(shares: readonly CpuShare[]): number {
  return shares.reduce((sum, s) => sum + s.cores, 0);
}

export const BENCH_LABEL = 'bench process';
export const FLOOR_LABEL = 'floor server';

/** A process's group from its command name and command line: the parts of the stack we want to tell apart. */
export function processLabel(comm: string, cmdline: string): string {
  if (comm === 'java' || cmdline.includes('java')) {
    if (cmdline.includes('kafka.Kafka')) return 'kafka broker';
    if (cmdline.includes('apicurio')) return 'schema registry';
    if (cmdline.includes('ProducerPerformance') || cmdline.includes('ConsumerPerformance')) return 'kafka perf tool';
    return 'java (other)';
  }
  if (comm.startsWith('postgres')) return postgresLabel(cmdline);
  if (comm.startsWith('redis-server')) return 'redis';
  if (comm.startsWith('redis-benchmark')) return 'redis-benchmark';
  if (comm === 'node' || comm.startsWith('node')) {
    for (const service of ['score-projector', 'query-api', 'ingest-api']) {
      if (cmdline.includes(`${service}/dist/main.js`)) return service;
    }
    if (cmdline.includes('bench/run.js')) return BENCH_LABEL;
    if (cmdline.includes('bench/query-floor-server.js')) return FLOOR_LABEL;
    return 'node (other)';
  }
  return 'other';
}

/**
 * PostgreSQL's processes by role, from the title PostgreSQL gives each (`postgres: 15/main: walwriter`):
 * at full size the work a batch leaves behind (pages to write out, dead rows to vacuum) is not done
 * by the backend that ran the batch.
 */
function postgresLabel(cmdline: string): string {
  if (cmdline.includes('autovacuum worker')) return POSTGRES_AUTOVACUUM_LABEL;
  if (/checkpointer|background writer|walwriter/.test(cmdline)) return 'postgres writers (checkpoint, WAL)';
  return 'postgres';
}

export const POSTGRES_AUTOVACUUM_LABEL = 'postgres autovacuum';
/**
 * Processes the postmaster reaped inside a window: sessions that closed (a pool closes idle ones, so
 * at full size most batch sessions end inside a window, their batches' work with them), parallel
 * vacuum and autovacuum workers. The kernel adds their time to the postmaster's cutime + cstime when
 * it waits on them.
 */
export const POSTGRES_EXITED_LABEL = 'postgres, exited (closed sessions, vacuum workers)';

/** Whether a label is one of PostgreSQL's processes, whatever their role. */
export function isPostgresLabel(label: string): boolean {
  return label === 'postgres' || label.startsWith('postgres ') || label.startsWith('postgres,');
}

/** Where a PostgreSQL process's time goes once the postmaster has reaped it (for cpuShares). */
export function postgresReapedInto(label: string): string | undefined {
  return isPostgresLabel(label) && label !== POSTGRES_EXITED_LABEL ? POSTGRES_EXITED_LABEL : undefined;
}

/** Format shares as `postgres 0.93, score-projector 0.71, …` (cores), dropping the negligible ones. */
export function formatShares(shares: readonly CpuShare[], min = 0.02): string {
  return shares
    .filter((s) => s.cores >= min)
    .map((s) => `${s.label} ${s.cores.toFixed(2)}`)
    .join(', ');
}
