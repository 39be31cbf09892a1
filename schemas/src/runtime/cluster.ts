import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

const METRICS_REQUEST = 'rankstream:cluster-metrics?';
const METRICS_REPLY = 'rankstream:cluster-metrics';
const RESTART_DELAY_MS = 1_000;
const STOP_TIMEOUT_MS = 25_000;

interface MetricsReply {
  type: typeof METRICS_REPLY;
  id: number;
  text?: string;
  error?: string;
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** Names the workers in log lines: `all <name> workers listening` once every worker listens. */
  name: string;
  /** A service's own answers to its workers' messages (shared state such as rate limit buckets). */
  onWorkerMessage?: (worker: Worker, message: unknown) => void;
}

/**
 * The primary process of a service run as several workers (QUERY_WORKERS, INGEST_WORKERS > 1): it
 * serves nothing itself. It forks the workers (which share the port), starts another when one dies,
 * answers what they share through it, and gathers their metrics for /metrics. SIGTERM/SIGINT stop the
 * workers, then the primary. A worker whose primary is gone exits by itself (node:cluster does that
 * on disconnect).
 */
export function runPrimary(options: PrimaryOptions): void {
  const { workers, logger, name } = options;
  const aggregator = new AggregatorRegistry();
  let stopping = false;

  cluster.on('message', (worker, message: { type?: string; id?: number }) => {
    options.onWorkerMessage?.(worker, message);
    if (message?.type !== METRICS_REQUEST) return;
    const reply = (fields: Partial<MetricsReply>) => worker.send({ type: METRICS_REPLY, id: message.id, ...fields });
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: Error) => reply({ error: error.message }),
    );
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('stopped');
        process.exit(0);
      }
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, `${name} worker exited; starting another`);
    setTimeout(() => cluster.fork(), RESTART_DELAY_MS);
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `stopping the ${name} workers`);
    const running = Object.values(cluster.workers ?? {});
    if (running.length === 0) process.exit(0);
    for (const worker of running) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error(`${name} workers did not stop in time`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // Logged once, when every first-generation worker accepts connections (tests and operators wait on it).
  let listening = 0;
  cluster.on('listening', () => {
    listening++;
    if (listening === workers) logger.info({ workers }, `all ${name} workers listening`);
  });
  logger.info({ workers }, `starting ${name} workers`);
  for (let i = 0; i < workers; i++) cluster.fork();
}

/** In a worker: the whole service's metrics text, as gathered by the primary. */
export function clusterMetricsText(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's answer to the primary's requests (in workers too);
  // setRegistries says what it answers with.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: MetricsReply) => {
    if (message?.type !== METRICS_REPLY) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiter?.resolve(message.text);
    else waiter?.reject(new Error(message.error ?? 'no metrics from the primary'));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not send the metrics within 5 s'));
      }, 5_000);
      pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ type: METRICS_REQUEST, id });
    });
}
