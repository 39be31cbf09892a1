import { readdir, readFile } from 'node:fs/promises';
import {
  BENCH_LABEL,
  type CpuShare,
  cpuShares,
  isPostgresLabel,
  POSTGRES_EXITED_LABEL,
  type ProcessSample,
  postgresReapedInto,
  processLabel,
  withUnattributed,
} from './cpu-share.js';

/**
 * Reads utime + stime of every process from /proc (Linux), labelled by what it is. With
 * `reapedChildren`, the bench's children that have exited (their time is then in the bench's
 * cutime + cstime) count under that label: wrk, run to completion inside a window, is otherwise lost.
 * The postmaster's reaped children (autovacuum workers, closed sessions) count the same way.
 */
export async function sampleProcesses(reapedChildren?: string): Promise<ProcessSample[]> {
  const samples: ProcessSample[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces; the fields after it are space-separated.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const label = processLabel(comm, cmdline);
      samples.push({ pid: Number(entry), label, ticks });
      const reaped = Number(fields[13]) + Number(fields[14]);
      // The postmaster: its children carry a title (`postgres: 15/main: …`) in place of its command.
      if (isPostgresLabel(label) && !cmdline.startsWith('postgres: ')) {
        samples.push({ pid: Number(entry), label: POSTGRES_EXITED_LABEL, ticks: reaped });
      }
      if (reapedChildren !== undefined && label === BENCH_LABEL) {
        samples.push({ pid: Number(entry), label: reapedChildren, ticks: reaped });
      }
    } catch {
      // the process exited between readdir and read
    }
  }
  return samples;
}

/** Busy clock ticks of the whole machine so far (all CPUs): everything but idle and iowait, from /proc/stat. */
export async function machineBusyTicks(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/**
 * Starts a CPU window; `stop()` returns the cores used per process group since, plus what the
 * machine spent that no sampled process accounts for (processes other than PostgreSQL's that exited
 * inside the window, and interrupts taken while a CPU was idle), so that the shares add up to the machine's
 * busy time. Only a window in which nothing but a load tool of the bench's exits should name
 * `reapedChildren`.
 */
export async function cpuWindow(reapedChildren?: string): Promise<{ stop(): Promise<CpuShare[]> }> {
  const before = await sampleProcesses(reapedChildren);
  const busyBefore = await machineBusyTicks();
  const t0 = performance.now();
  return {
    async stop() {
      const after = await sampleProcesses(reapedChildren);
      const busy = (await machineBusyTicks()) - busyBefore;
      const seconds = (performance.now() - t0) / 1000;
      return withUnattributed(cpuShares(before, after, seconds, postgresReapedInto), busy / 100 / seconds);
    },
  };
}
