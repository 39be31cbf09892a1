import { execFileSync } from 'node:child_process';
import type { ServiceProcess } from './service-process.js';

/** The pids of a process's children: a cluster primary's workers. */
export function workerPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The sum of a Prometheus counter's lines in a /metrics text whose labels contain every filter. */
export function counterSum(metrics: string, name: string, labelFilters: readonly string[]): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labelFilters.every((f) => line.includes(f)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Waits until every worker of a cluster-mode service listens (its primary logs `all <name> workers listening`). */
export async function waitForAllWorkers(service: ServiceProcess, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!service.output().includes(`all ${name} workers listening`)) {
    if (Date.now() > deadline) throw new Error(`not every ${name} worker listened:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops a cluster-mode service with SIGTERM; returns its exit code and whether any worker outlived it. */
export async function stopCluster(service: ServiceProcess): Promise<{ code: number | null; workersLeft: number }> {
  const workers = workerPids(service.child.pid as number);
  const code = await service.stop('SIGTERM');
  const alive = workers.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  return { code, workersLeft: alive.length };
}
