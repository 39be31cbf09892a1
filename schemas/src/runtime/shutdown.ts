import type { Logger } from './logger.js';

export type ShutdownStep = { name: string; run: () => Promise<unknown> };

/**
 * Runs the steps in order on the first SIGTERM or SIGINT (callers list them in reverse order of
 * start), then exits. A second signal, or 20 s without finishing, exits at once.
 */
export function onShutdown(logger: Logger, steps: () => ShutdownStep[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took longer than 20 s: exiting');
      process.exit(1);
    }, 20_000);
    timer.unref();
    for (const step of steps()) {
      try {
        await step.run();
      } catch (error) {
        logger.warn({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** A fatal start-up error: log every line of it, exit non-zero so the supervisor restarts us. */
export function exitOnStartupFailure(logger: Logger): (error: unknown) => never {
  return (error) => {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  };
}
