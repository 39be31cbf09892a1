import { join } from 'node:path';
import { createLogger } from '@rankstream/schemas/runtime';
import { bringUpStack, type StackHandle } from './local-stack.js';
import { fetchApicurio, fetchKafkaJars } from './maven-artifacts.js';
import { loadStackConfig } from './stack-config.js';
import { killAllNow, onStopSignals } from './stop-signals.js';

const USAGE = `usage: npm run stack -- <command>
  up      bring up Kafka, the schema registry, PostgreSQL and Redis (no services) until Ctrl+C
  fetch   only fetch the Kafka and registry jars into STACK_DIR (e.g. to warm a CI cache)
  where   print STACK_DIR and the log files`;

/** `npm run stack`: the infrastructure alone, for working on one service with `node <service>/dist/main.js`. */
async function main(): Promise<void> {
  const command = process.argv[2];
  const cfg = loadStackConfig(process.env);
  const logger = createLogger('rankstream-stack', cfg.LOG_LEVEL);
  if (command === 'fetch') {
    await fetchKafkaJars(cfg.stackDir, logger);
    await fetchApicurio(cfg.stackDir, logger);
    return;
  }
  if (command === 'where') {
    process.stdout.write(
      `${cfg.stackDir}\n${join(cfg.stackDir, 'kafka', 'logs', 'server.log')}\n${join(cfg.stackDir, 'registry', 'registry.log')}\n`,
    );
    return;
  }
  if (command !== 'up') {
    process.stderr.write(`${USAGE}\n`);
    process.exit(command ? 2 : 0);
  }
  let stack: StackHandle | undefined;
  onStopSignals(logger, async () => {
    await stack?.stop();
    return 0;
  });
  stack = await bringUpStack(cfg, logger);
  logger.info({ ...stack.urls }, 'stack up; Ctrl+C stops what was started here');
}

main().catch((error) => {
  process.stderr.write(`[rankstream] ${(error as Error).stack ?? error}\n`);
  killAllNow();
  process.exit(1);
});
