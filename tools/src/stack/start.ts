import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createKafka,
  createLogger,
  ensureTopics,
  kafkaEnv,
  type Logger,
  migrate,
  parseEnv,
} from '@rankstream/schemas/runtime';
import { devApiKey } from './dev-api-key.js';
import { bringUpStack, type StackHandle, type StackUrls } from './local-stack.js';
import { portAnswers } from './port-probe.js';
import { loadStackConfig, REPO_ROOT, type StackConfig } from './stack-config.js';
import { killAllNow, onStopSignals } from './stop-signals.js';
import { SupervisedProcess } from './supervised-process.js';

/**
 * `npm start`: the whole system on one machine. Brings up the stack, runs the migrations, creates
 * the topics, then runs and supervises the three services: a crashed one is restarted after a
 * backoff without touching the others; SIGINT/SIGTERM stops everything started here, services first.
 */
const SERVICES = [
  { name: 'ingest-api', portVar: 'INGEST_PORT' },
  { name: 'score-projector', portVar: 'PROJECTOR_PORT' },
  { name: 'query-api', portVar: 'QUERY_PORT' },
] as const;

async function readyz(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status === 200;
}

async function createTopics(cfg: StackConfig, urls: StackUrls, logger: Logger): Promise<void> {
  // The services' own Kafka settings (SASL/TLS too), so topics land where they will look for them.
  const conn = parseEnv(kafkaEnv, { ...process.env, KAFKA_BROKERS: urls.kafkaBrokers });
  const admin = createKafka(conn, 'rankstream-stack', logger).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, {
      eventsTopic: cfg.EVENTS_TOPIC,
      dlqTopic: cfg.dlqTopic,
      partitions: cfg.EVENTS_PARTITIONS,
    });
  } finally {
    await admin.disconnect();
  }
  logger.info({ topic: cfg.EVENTS_TOPIC, dlq: cfg.dlqTopic, partitions: cfg.EVENTS_PARTITIONS }, 'topics in place');
}

function serviceProcesses(cfg: StackConfig, urls: StackUrls, apiKeys: string, logger: Logger) {
  const shared: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: urls.kafkaBrokers,
    SCHEMA_REGISTRY_URL: urls.registryUrl,
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    EVENTS_TOPIC: cfg.EVENTS_TOPIC,
    DLQ_TOPIC: cfg.dlqTopic,
    EVENTS_PARTITIONS: String(cfg.EVENTS_PARTITIONS),
  };
  return SERVICES.map(({ name, portVar }) => {
    const port = cfg[portVar];
    const env: NodeJS.ProcessEnv = { ...shared, [portVar]: String(port) };
    if (name === 'ingest-api') env.API_KEYS = apiKeys;
    // The service folder stays in the command line: operators find them with `pgrep -f ingest-api/dist`.
    const main = join(REPO_ROOT, name, 'dist', 'main.js');
    return {
      port,
      main,
      proc: new SupervisedProcess(
        {
          name,
          command: process.execPath,
          args: [main],
          cwd: join(REPO_ROOT, name),
          env,
          output: 'inherit',
          ready: () => readyz(port),
        },
        logger,
        { restart: true, initialBackoffMs: 1_000, maxBackoffMs: 15_000, stopTimeoutMs: 10_000 },
      ),
    };
  });
}

function printBanner(cfg: StackConfig, urls: StackUrls, key: string | undefined, ready: Record<string, boolean>) {
  const line = (s: string) => process.stdout.write(`[rankstream] ${s}\n`);
  line('');
  line(`ingest API       http://127.0.0.1:${cfg.INGEST_PORT}   ${ready['ingest-api'] ? 'ready' : 'NOT READY'}`);
  line(`query API        http://127.0.0.1:${cfg.QUERY_PORT}   ${ready['query-api'] ? 'ready' : 'NOT READY'}`);
  line(`score projector  http://127.0.0.1:${cfg.PROJECTOR_PORT}   ${ready['score-projector'] ? 'ready' : 'NOT READY'}`);
  line(`Kafka            ${urls.kafkaBrokers}   topic ${cfg.EVENTS_TOPIC} (${cfg.EVENTS_PARTITIONS} partitions)`);
  line(`schema registry  ${urls.registryUrl}`);
  line(`PostgreSQL       ${redactPassword(urls.databaseUrl)}`);
  line(`Redis            ${redactPassword(urls.redisUrl)}`);
  line(
    key ? `dev API key      ${key}   (kept in ${join(cfg.stackDir, 'dev-api-key')})` : 'API keys         from API_KEYS',
  );
  line('Ctrl+C stops everything started here.');
  line('');
}

function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

async function main(): Promise<void> {
  const cfg = loadStackConfig(process.env);
  const logger = createLogger('rankstream-dev', cfg.LOG_LEVEL);
  let stack: StackHandle | undefined;
  let services: ReturnType<typeof serviceProcesses> = [];

  const stopAll = async () => {
    await Promise.all(services.map((s) => s.proc.stop()));
    await Promise.all([...SupervisedProcess.live].map((p) => p.stop())); // started mid-start, if any
    await stack?.stop();
  };
  onStopSignals(logger, async () => {
    await stopAll();
    logger.info('stopped');
    return 0;
  });

  try {
    stack = await bringUpStack(cfg, logger);
    await migrate(stack.urls.databaseUrl, logger);
    logger.info('migrations applied');
    await createTopics(cfg, stack.urls, logger);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const dev = cfg.API_KEYS ? undefined : devApiKey(join(cfg.stackDir, 'dev-api-key'));
  services = serviceProcesses(cfg, stack.urls, cfg.API_KEYS ?? dev!.apiKeys, logger);
  for (const s of services) {
    if (!existsSync(s.main)) logger.error({ main: s.main }, `${s.proc.spec.name} is not built (npm run build)`);
    if (await portAnswers('127.0.0.1', s.port)) {
      logger.warn({ port: s.port }, `port ${s.port} is already taken: is another Rankstream running?`);
    }
    s.proc.start();
  }

  const deadline = Date.now() + 90_000;
  const ready: Record<string, boolean> = {};
  while (Date.now() < deadline) {
    for (const s of services) ready[s.proc.spec.name] = await readyz(s.port).catch(() => false);
    if (Object.values(ready).every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  logger.info({ ready, urls: { ...stack.urls, databaseUrl: redactPassword(stack.urls.databaseUrl) } }, 'Rankstream up');
  printBanner(cfg, stack.urls, dev?.key, ready);
}

main().catch((error) => {
  process.stderr.write(`[rankstream] start failed: ${(error as Error).stack ?? error}\n`);
  killAllNow();
  process.exit(1);
});
