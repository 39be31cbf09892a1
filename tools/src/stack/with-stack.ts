import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { createLogger } from '@rankstream/schemas/runtime';
import { startContainerStack } from './container-stack.js';
import { dockerAnswers } from './docker-engine.js';
import { bringUpStack, type StackUrls } from './local-stack.js';
import { fetchKafkaJars } from './maven-artifacts.js';
import { portAnswers } from './port-probe.js';
import { loadStackConfig, REPO_ROOT } from './stack-config.js';
import { killAllNow, watchLauncher } from './stop-signals.js';

/**
 * `node tools/dist/stack/with-stack.js <command...>`: runs the command (the test runner) with the
 * real services reachable, and their addresses in its environment.
 *  - a service configured by env is used as is;
 *  - a Kafka or registry already answering on its local port (a running `npm start`) is reused;
 *    tests never disturb it, since each test file makes its own database, key prefix and topics;
 *  - otherwise, with Docker answering and nothing configured, containers (testcontainers);
 *  - otherwise the project's own local stack, stopped again when the command ends.
 */
function testDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

async function main(): Promise<number> {
  const command = process.argv.slice(2);
  if (command.length === 0) {
    process.stderr.write('usage: with-stack <command> [args...]\n');
    return 2;
  }
  const cfg = loadStackConfig(process.env);
  const logger = createLogger('with-stack', cfg.LOG_LEVEL);
  const configured = cfg.KAFKA_BROKERS || cfg.SCHEMA_REGISTRY_URL || cfg.DATABASE_URL || cfg.REDIS_URL;
  const useContainers =
    cfg.TEST_STACK === 'containers' ||
    (cfg.TEST_STACK === 'auto' &&
      !configured &&
      !(await portAnswers('127.0.0.1', cfg.LOCAL_KAFKA_PORT)) &&
      (await dockerAnswers()));

  let urls: StackUrls;
  let testDb: string;
  let stop: () => Promise<void>;
  if (useContainers) {
    const stack = await startContainerStack(logger, cfg.REGISTRY_COMPATIBILITY);
    urls = stack.urls;
    testDb = stack.testDatabaseUrl;
    stop = stack.stop;
  } else {
    const stack = await bringUpStack(cfg, logger);
    urls = stack.urls;
    testDb = process.env.TEST_DATABASE_URL ?? testDatabaseUrl(urls.databaseUrl);
    stop = stack.stop;
  }
  // Tests that must stop and restart a broker run a private one from these jars (never the shared
  // Kafka), so they are fetched even when the shared Kafka is reused or external.
  const kafkaJarsDir = await fetchKafkaJars(cfg.stackDir, logger).catch((error: Error) => {
    logger.warn({ err: error }, 'no Kafka jars: tests that need a private broker will fail');
    return undefined;
  });
  process.stderr.write(
    `[with-stack] Kafka ${urls.kafkaBrokers} · registry ${urls.registryUrl} · Redis ${urls.redisUrl}` +
      ` (${useContainers ? 'containers' : 'local'})\n`,
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [join(REPO_ROOT, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
    KAFKA_BROKERS: urls.kafkaBrokers,
    SCHEMA_REGISTRY_URL: urls.registryUrl,
    REDIS_URL: urls.redisUrl,
    // Tests make their own databases on this server; they never touch the dev database.
    TEST_DATABASE_URL: testDb,
    ...(kafkaJarsDir ? { KAFKA_JARS_DIR: kafkaJarsDir } : {}),
  };
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  watchLauncher(() => forward('SIGTERM'));
  const code = await new Promise<number>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`[with-stack] ${command[0]}: ${error.message}\n`);
      resolve(127);
    });
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 + 15 : 1)));
  });
  await stop();
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`[with-stack] ${(error as Error).stack ?? error}\n`);
    killAllNow();
    process.exit(1);
  },
);
