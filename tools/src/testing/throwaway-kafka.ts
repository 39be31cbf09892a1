import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { kafkaReady, kraftServerProperties } from '../stack/kafka-broker.js';
import { freePort } from './service-process.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A private single-node KRaft Kafka for a test that must stop and restart a broker, which the shared
 * one must never be. It keeps its ports and data across stop()/start(), so clients configured with its
 * address see the same broker come back.
 */
export interface ThrowawayKafka {
  brokers: string[];
  /** Stops the broker (SIGTERM, waiting for exit). Data and ports are kept for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data, resolving once it serves metadata. */
  start(): Promise<void>;
  /** Stops it for good and deletes its data. */
  destroy(): Promise<void>;
  /** The broker's own log, for a failing test's message. */
  logFile: string;
}

/** KAFKA_JARS_DIR (set by `npm test`'s stack wrapper), else `<repo>/.stack/kafka/lib`, where `npm start` puts them. */
export function defaultKafkaJarsDir(): string {
  return process.env.KAFKA_JARS_DIR ?? join(REPO_ROOT, '.stack', 'kafka', 'lib');
}

export async function startThrowawayKafka(
  options: { jarsDir?: string; readyTimeoutMs?: number; heapMb?: number } = {},
): Promise<ThrowawayKafka> {
  const jarsDir = options.jarsDir ?? defaultKafkaJarsDir();
  if (!existsSync(jarsDir)) throw new Error(`no Kafka jars in ${jarsDir}`);
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const home = await mkdtemp(join(tmpdir(), 'rankstream-kafka-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const propsFile = join(home, 'server.properties');
  const log4jFile = join(home, 'log4j.properties');
  const logFile = join(home, 'server.log');
  await writeFile(propsFile, kraftServerProperties({ port, controllerPort, dataDir: join(home, 'data'), small: true }));
  await writeFile(
    log4jFile,
    [
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${logFile}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
  const jvm = [`-Xmx${options.heapMb ?? 256}m`, `-Dlog4j.configuration=file:${log4jFile}`, '-cp', `${jarsDir}/*`];
  const run = promisify(execFile);
  const { stdout } = await run(java, [...jvm, 'kafka.tools.StorageTool', 'random-uuid']);
  const clusterId = stdout.trim().split('\n').pop()!.trim();
  await run(java, [
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    propsFile,
    '--ignore-formatted',
  ]);

  const brokers = [`127.0.0.1:${port}`];
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn(java, [...jvm, 'kafka.Kafka', propsFile], { stdio: 'ignore' });
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    while (!(await kafkaReady(brokers.join(',')))) {
      if (child !== proc) throw new Error(`the throwaway Kafka exited while starting; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`the throwaway Kafka was not ready in time; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  return {
    brokers,
    logFile,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
