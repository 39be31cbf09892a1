import type { Logger } from '@rankstream/schemas/runtime';
import { SupervisedProcess } from './supervised-process.js';

/** Everything is stopped within this, or killed: operators are promised 30 s. */
const HARD_DEADLINE_MS = 27_000;

/**
 * SIGINT/SIGTERM run `stop` once (a second signal is logged, not acted on twice), then exit. Past the
 * hard deadline whatever is still alive gets SIGKILL. An abrupt exit of the supervisor itself (an
 * uncaught error) still takes its children down with it.
 */
export function onStopSignals(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<number>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'already stopping');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping everything started here');
    const hard = setTimeout(() => {
      logger.error({ deadlineMs: HARD_DEADLINE_MS }, 'stop deadline passed; killing what is left');
      killAllNow();
      process.exit(1);
    }, HARD_DEADLINE_MS);
    hard.unref();
    stop(signal).then(
      (code) => process.exit(code),
      (error) => {
        logger.error({ err: error }, 'stop failed');
        killAllNow();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('exit', killAllNow);
  watchLauncher(() => {
    logger.warn('the npm process that launched this one is gone; stopping as if it had been sent SIGTERM');
    handler('SIGTERM');
  });
}

/**
 * Under `npm start`, npm runs us through `sh -c`, and when npm gets SIGTERM it passes it to that
 * shell only: the shell dies and this process is silently re-parented. So a supervisor launched by
 * npm treats the loss of its parent as the stop signal its operator meant to send.
 */
export function watchLauncher(onGone: () => void): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, 500);
  timer.unref();
}

export function killAllNow(): void {
  for (const p of [...SupervisedProcess.live]) p.killNow();
}
