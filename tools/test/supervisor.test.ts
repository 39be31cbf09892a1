import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@rankstream/schemas/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisedProcess } from '../src/stack/supervised-process.js';

/**
 * The `npm start` supervisor against fake services (tiny node processes), so that crashes and
 * signals are real without needing the real services built.
 */
const logger = createLogger('supervisor-test', 'silent');
const FOREVER = 'setInterval(() => {}, 1000)';
const started: SupervisedProcess[] = [];

function fake(name: string, script = FOREVER, stopTimeoutMs = 5_000): SupervisedProcess {
  const proc = new SupervisedProcess(
    { name, command: process.execPath, args: ['-e', script], output: 'inherit' },
    logger,
    {
      restart: true,
      initialBackoffMs: 100,
      stopTimeoutMs,
    },
  );
  started.push(proc);
  proc.start();
  return proc;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

describe('SupervisedProcess', () => {
  it('restarts a crashed service after a backoff and leaves its sibling alone', async () => {
    const a = fake('fake-a');
    const b = fake('fake-b');
    const [pidA, pidB] = [a.pid!, b.pid!];

    process.kill(pidA, 'SIGKILL');
    await until(() => a.starts === 2 && a.running);

    expect(a.pid).not.toBe(pidA);
    expect(alive(a.pid!)).toBe(true);
    expect(b.pid).toBe(pidB);
    expect(b.starts).toBe(1);
  });

  it('keeps restarting a service that crashes at once, with a growing backoff', async () => {
    const crashing = fake('crash-loop', 'process.exit(3)');
    const t0 = Date.now();
    await until(() => crashing.starts >= 4);
    // Backoffs 100 + 200 + 400 ms before the 4th start: a crash loop does not spin the CPU.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });

  it('stops a service that ignores SIGTERM with SIGKILL past the deadline, and never restarts it', async () => {
    const stubborn = fake('stubborn', `process.on('SIGTERM', () => {}); ${FOREVER}`, 500);
    const pid = stubborn.pid!;
    await new Promise((r) => setTimeout(r, 300)); // let it install its SIGTERM handler
    await stubborn.stop();
    expect(alive(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(stubborn.running).toBe(false);
    expect(stubborn.starts).toBe(1);
  });
});

describe('the supervisor process', () => {
  const fixture = fileURLToPath(new URL('./fixtures/supervise-fakes.mjs', import.meta.url));

  for (const variant of ['cooperative', 'ignore-term'] as const) {
    it(`stops every child it started on SIGTERM (${variant} children) and exits 0`, async () => {
      const sup = spawn(process.execPath, [fixture, variant], { stdio: ['ignore', 'pipe', 'inherit'] });
      const pids = await new Promise<number[]>((resolve, reject) => {
        let out = '';
        sup.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
        });
        sup.once('exit', (code) => reject(new Error(`supervisor exited early with ${code}`)));
      });
      expect(pids).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 300));
      for (const pid of pids) expect(alive(pid)).toBe(true);

      const exited = new Promise<number | null>((resolve) => sup.once('exit', (code) => resolve(code)));
      sup.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of pids) expect(alive(pid)).toBe(false);
    });
  }
});
