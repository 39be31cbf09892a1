import { connect } from 'node:net';

/** True when something accepts TCP connections on host:port within the timeout. */
export function portAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it returns true. `alive` lets a caller give up early, e.g. when the process
 * that should become ready has already exited.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; alive?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const dead = options.alive?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${Math.round(options.timeoutMs / 1000)} s`);
    await sleep(options.intervalMs ?? 250);
  }
}

/** host:port of the first broker in a KAFKA_BROKERS list. */
export function firstBroker(brokers: string): { host: string; port: number } {
  const first = brokers.split(',')[0]?.trim() ?? '';
  const at = first.lastIndexOf(':');
  return { host: first.slice(0, at) || '127.0.0.1', port: Number(first.slice(at + 1)) || 9092 };
}
