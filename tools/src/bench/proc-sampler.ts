import { readdir, readFile } from 'node:fs/promises';
import { BENCH_LABEL, type CpuShare, cpuShares, type ProcessSample, processLabel } from './cpu-share.js';

/**
 * Reads utime + stime of every process from /proc (Linux), labelled by what it is. With
 * `reapedChildren`, the bench's children that have exited (their time is then in the bench's
 * cutime + cstime) count under that label: wrk, run to completion inside a window, is otherwise lost.
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
      if (reapedChildren !== undefined && label === BENCH_LABEL) {
        samples.push({ pid: Number(entry), label: reapedChildren, ticks: Number(fields[13]) + Number(fields[14]) });
      }
    } catch {
      // the process exited between readdir and read
    }
  }
  return samples;
}

/**
 * Starts a CPU window; `stop()` returns the cores used per process group since. Only a window in
 * which nothing but a load tool of the bench's exits should name `reapedChildren`.
 */
export async function cpuWindow(reapedChildren?: string): Promise<{ stop(): Promise<CpuShare[]> }> {
  const before = await sampleProcesses(reapedChildren);
  const t0 = performance.now();
  return {
    async stop() {
      const after = await sampleProcesses(reapedChildren);
      return cpuShares(before, after, (performance.now() - t0) / 1000);
    },
  };
}
