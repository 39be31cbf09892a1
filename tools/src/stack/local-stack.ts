import { readFileSync } from 'node:fs';
import type { Logger } from '@rankstream/schemas/runtime';
import { requireJava17 } from './java-runtime.js';
import { kafkaReady, liveBrokerIds, localKafkaPorts, prepareKafka } from './kafka-broker.js';
import { firstBroker, portAnswers, waitUntil } from './port-probe.js';
import { confluentApiUrl, prepareRegistry, registryReady, setGlobalCompatibility } from './schema-registry.js';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, type StackConfig } from './stack-config.js';
import { SupervisedProcess } from './supervised-process.js';
import { ensurePostgres, ensureRedis, type SystemService } from './system-services.js';

export interface StackUrls {
  kafkaBrokers: string;
  registryUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

/** The four services the system needs, and whatever had to be started here to get them. */
export interface StackHandle {
  urls: StackUrls;
  /** Processes started here (Kafka, registry): supervised, restarted if they crash. */
  processes: SupervisedProcess[];
  /** Stops what was started here, and nothing else; within ~15 s. */
  stop(): Promise<void>;
  /** Synchronous last resort (the supervisor is exiting abruptly). */
  killNow(): void;
}

const STOP_TIMEOUT_MS = { kafka: 12_000, registry: 8_000 };

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the processes together (a KRaft quorum elects its controller only once a majority runs)
 * and waits until `ready`; stops them all again if that fails.
 */
async function startSupervised(
  specs: readonly Awaited<ReturnType<typeof prepareRegistry>>[],
  ready: () => Promise<boolean>,
  logger: Logger,
  stopTimeoutMs: number,
  readyTimeoutMs: number,
): Promise<SupervisedProcess[]> {
  const procs = specs.map(
    (spec) => new SupervisedProcess({ ...spec, ready }, logger, { restart: true, stopTimeoutMs }),
  );
  for (const proc of procs) proc.start();
  try {
    await waitUntil(specs.map((s) => s.name).join(', '), ready, {
      timeoutMs: readyTimeoutMs,
      intervalMs: 500,
      alive: () => {
        const i = procs.findIndex((proc) => proc.starts > 1 || !proc.running);
        const spec = specs[i];
        return spec
          ? `${spec.name} exited during start; last lines of ${spec.logFile}:\n${tail(spec.logFile)}`
          : undefined;
      },
    });
  } catch (error) {
    await Promise.all(procs.map((proc) => proc.stop()));
    throw error;
  }
  return procs;
}

async function ensureKafka(cfg: StackConfig, logger: Logger): Promise<{ brokers: string; procs: SupervisedProcess[] }> {
  if (cfg.KAFKA_BROKERS) {
    logger.info({ brokers: cfg.KAFKA_BROKERS }, 'using the Kafka configured by KAFKA_BROKERS');
    return { brokers: cfg.KAFKA_BROKERS, procs: [] };
  }
  const nodes = Array.from({ length: cfg.LOCAL_KAFKA_BROKERS }, (_, i) => localKafkaPorts(cfg, i));
  const brokers = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  const { host, port } = firstBroker(brokers);
  if (await portAnswers(host, port)) {
    await waitUntil(`something answers on ${brokers} but it is not a Kafka broker`, () => kafkaReady(brokers), {
      timeoutMs: 30_000,
    });
    logger.info({ brokers }, 'reusing the Kafka already running (it is left running afterwards)');
    return { brokers, procs: [] };
  }
  const specs = await prepareKafka(cfg, logger);
  // Ready once every node lists every node as a live broker: each broker's metadata cache catches up on
  // its own, and a client that asks one still behind would see a smaller cluster.
  const allLive = async () => {
    const views = await Promise.all(brokers.split(',').map((b) => liveBrokerIds([b])));
    return views.every((ids) => (ids ?? []).length === nodes.length);
  };
  const procs = await startSupervised(specs, allLive, logger, STOP_TIMEOUT_MS.kafka, 120_000);
  logger.info({ brokers, logs: specs.map((s) => s.logFile) }, 'local Kafka ready');
  return { brokers, procs };
}

async function ensureRegistry(cfg: StackConfig, logger: Logger): Promise<{ url: string; proc?: SupervisedProcess }> {
  if (cfg.SCHEMA_REGISTRY_URL) {
    logger.info({ url: cfg.SCHEMA_REGISTRY_URL }, 'using the registry configured by SCHEMA_REGISTRY_URL');
    return { url: cfg.SCHEMA_REGISTRY_URL };
  }
  const base = `http://127.0.0.1:${cfg.LOCAL_REGISTRY_PORT}`;
  const url = confluentApiUrl(base);
  if (await portAnswers('127.0.0.1', cfg.LOCAL_REGISTRY_PORT)) {
    await waitUntil(`something answers on ${base} but it is not an Apicurio registry`, () => registryReady(base), {
      timeoutMs: 60_000,
    });
    logger.info({ url }, 'reusing the schema registry already running (it is left running afterwards)');
    await setGlobalCompatibility(url, cfg.REGISTRY_COMPATIBILITY, logger);
    return { url };
  }
  const spec = await prepareRegistry(cfg, logger);
  const [proc] = await startSupervised([spec], () => registryReady(base), logger, STOP_TIMEOUT_MS.registry, 240_000);
  await setGlobalCompatibility(url, cfg.REGISTRY_COMPATIBILITY, logger);
  logger.info({ url, log: spec.logFile }, 'local schema registry ready');
  return { url, proc };
}

/**
 * Brings up Kafka, the registry, PostgreSQL and Redis: each one configured by env is used as is,
 * one already answering on its local port is reused (and left running), anything else is started
 * here. If any part fails, what was already started is stopped again before the error surfaces.
 */
export async function bringUpStack(cfg: StackConfig, logger: Logger): Promise<StackHandle> {
  const processes: SupervisedProcess[] = [];
  const system: SystemService[] = [];
  const databaseUrl = cfg.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = cfg.REDIS_URL ?? DEFAULT_REDIS_URL;

  const stop = async () => {
    await Promise.all([...processes].reverse().map((p) => p.stop()));
    for (const s of system) await s.stop();
  };

  try {
    system.push(await ensurePostgres(databaseUrl, cfg.DATABASE_URL !== undefined, logger));
    system.push(await ensureRedis(redisUrl, cfg.REDIS_URL !== undefined, logger));
    if (!cfg.KAFKA_BROKERS || !cfg.SCHEMA_REGISTRY_URL) await requireJava17();
    // Both JVMs start at once: the registry keeps its schemas in H2, not in Kafka.
    const [kafka, registry] = await Promise.allSettled([ensureKafka(cfg, logger), ensureRegistry(cfg, logger)]);
    if (kafka.status === 'fulfilled') processes.push(...kafka.value.procs);
    if (registry.status === 'fulfilled' && registry.value.proc) processes.push(registry.value.proc);
    if (kafka.status === 'rejected') throw kafka.reason;
    if (registry.status === 'rejected') throw registry.reason;
    return {
      urls: { kafkaBrokers: kafka.value.brokers, registryUrl: registry.value.url, databaseUrl, redisUrl },
      processes,
      stop,
      killNow: () => {
        for (const p of processes) p.killNow();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
