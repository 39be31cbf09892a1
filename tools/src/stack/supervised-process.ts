import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '@rankstream/schemas/runtime';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'inherit' passes the child's output (JSON log lines) through; a file path appends it there. */
  output: 'inherit' | { file: string };
  /** Answers true once the process serves; polled after every (re)start and logged once per start. */
  ready?: () => Promise<boolean>;
}

export interface SupervisionOptions {
  /** Restart after an unexpected exit. */
  restart: boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run longer than this resets the backoff: the crash is news, not a crash loop. */
  stableAfterMs?: number;
  /** SIGTERM, then SIGKILL when the process is still there after this long. */
  stopTimeoutMs?: number;
}

/**
 * One child process kept alive: restarted with a growing backoff when it exits unexpectedly, and
 * stopped with SIGTERM then SIGKILL. Children get their own process group (detached) so that a
 * Ctrl+C in the terminal reaches only the supervisor, which then stops them in order (services
 * before the Kafka they talk to) instead of everything racing down at once.
 */
export class SupervisedProcess {
  /** Every process started and not yet stopped, so a signal arriving mid-start can still stop them all. */
  static readonly live = new Set<SupervisedProcess>();

  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private startedAt = 0;
  /** How many times the process was started (1 after the first start). */
  starts = 0;

  constructor(
    readonly spec: ProcessSpec,
    private readonly logger: Logger,
    private readonly options: SupervisionOptions,
  ) {
    this.backoffMs = options.initialBackoffMs ?? 1_000;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.stopping || this.running) return;
    const { spec } = this;
    const fd = spec.output === 'inherit' ? undefined : openSync(spec.output.file, 'a');
    const out = fd ?? 'inherit';
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', out, out],
        detached: true,
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.child = child;
    SupervisedProcess.live.add(this);
    this.starts += 1;
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        this.onExit(child, code, signal);
      });
    });
    child.once('error', (error) =>
      this.logger.error({ process: spec.name, err: error }, `${spec.name} failed to spawn`),
    );
    this.logger.info({ process: spec.name, pid: child.pid, start: this.starts }, `${spec.name} started`);
    if (spec.ready) void this.watchReady(child, spec.ready);
  }

  private async watchReady(child: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
    while (this.child === child && this.running && !this.stopping) {
      if (await ready().catch(() => false)) {
        const ms = Date.now() - this.startedAt;
        this.logger.info({ process: this.spec.name, pid: child.pid, readyAfterMs: ms }, `${this.spec.name} ready`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping) return;
    const uptimeMs = Date.now() - this.startedAt;
    if (!this.options.restart) {
      this.logger.error({ process: this.spec.name, code, signal, uptimeMs }, `${this.spec.name} exited`);
      return;
    }
    if (uptimeMs > (this.options.stableAfterMs ?? 60_000)) this.backoffMs = this.options.initialBackoffMs ?? 1_000;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
    this.logger.error(
      { process: this.spec.name, code, signal, uptimeMs, restartInMs: delay },
      `${this.spec.name} exited unexpectedly; restarting after backoff`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, delay);
  }

  /** Stops it for good (no restart): SIGTERM, then SIGKILL to its process group past the deadline. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    SupervisedProcess.live.delete(this);
    const child = this.child;
    if (!child || !this.running || child.pid === undefined) return;
    const pid = child.pid;
    const timeoutMs = this.options.stopTimeoutMs ?? 10_000;
    this.logger.info({ process: this.spec.name, pid }, `stopping ${this.spec.name}`);
    signal(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), killed]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({ process: this.spec.name, pid, timeoutMs }, `${this.spec.name} ignored SIGTERM; SIGKILL`);
      signal(-pid, 'SIGKILL');
      await this.exited;
    }
    this.logger.info({ process: this.spec.name, pid }, `${this.spec.name} stopped`);
  }

  /** Last resort when the supervisor itself is exiting abruptly: no waiting possible. */
  killNow(): void {
    this.stopping = true;
    SupervisedProcess.live.delete(this);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.running && this.child?.pid !== undefined) signal(-this.child.pid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
