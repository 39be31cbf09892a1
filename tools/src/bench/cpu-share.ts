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
 * from zero; one that exited is lost (its time is unknown), which only understates short-lived ones.
 */
export function cpuShares(
  before: readonly ProcessSample[],
  after: readonly ProcessSample[],
  seconds: number,
  ticksPerSecond = 100,
): CpuShare[] {
  const start = new Map(before.map((s) => [`${s.pid}:${s.label}`, s.ticks]));
  const byLabel = new Map<string, number>();
  for (const s of after) {
    const used = s.ticks - (start.get(`${s.pid}:${s.label}`) ?? 0);
    if (used > 0) byLabel.set(s.label, (byLabel.get(s.label) ?? 0) + used);
  }
  return [...byLabel]
    .map(([label, ticks]) => ({ label, cores: ticks / ticksPerSecond / seconds }))
    .sort((a, b) => b.cores - a.cores || a.label.localeCompare(b.label));
}

export const UNATTRIBUTED_LABEL = 'unattributed (kernel, exited)';

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
  if (comm.startsWith('postgres')) return 'postgres';
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

/** Format shares as `postgres 0.93, score-projector 0.71, …` (cores), dropping the negligible ones. */
export function formatShares(shares: readonly CpuShare[], min = 0.02): string {
  return shares
    .filter((s) => s.cores >= min)
    .map((s) => `${s.label} ${s.cores.toFixed(2)}`)
    .join(', ');
}
