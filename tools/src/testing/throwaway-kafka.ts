import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  clusterIdFrom,
  formatStorage,
  kraftServerProperties,
  liveBrokerIds,
  NEW_CLUSTER_ID,
} from '../stack/kafka-broker.js';
import { freePort } from './service-process.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A private KRaft Kafka, one node or a cluster, for a test that must stop, kill and restart brokers,
 * which the shared one must never be. Nodes keep their ports and data across stop and start, so
 * clients configured with the addresses see the same brokers come back.
 */
export interface ThrowawayKafka {
  brokers: string[];
  /** Stops every node (SIGTERM, waiting for exit). Data and ports are kept for start(). */
  stop(): Promise<void>;
  /** Starts every node again on the same ports and data, resolving once all serve metadata. */
  start(): Promise<void>;
  /** SIGKILLs one node (0-based), as a crashed machine would go. */
  kill(node: number): Promise<void>;
  /** Starts one node again, resolving once the cluster lists it. */
  startNode(node: number): Promise<void>;
  /** Stops every node for good and deletes their data. */
  destroy(): Promise<void>;
  /** The nodes' own logs, for a failing test's message. */
  logFiles: string[];
}

/** KAFKA_JARS_DIR (set by `npm test`'s stack wrapper), else `<repo>/.stack/kafka/lib`, where `npm start` puts them. */
export function defaultKafkaJarsDir(): string {
  return process.env.KAFKA_JARS_DIR ?? join(REPO_ROOT, '.stack', 'kafka', 'lib');
}

export async function startThrowawayKafka(
  options: { jarsDir?: string; readyTimeoutMs?: number; heapMb?: number; nodes?: number } = {},
): Promise<ThrowawayKafka> {
  const jarsDir = options.jarsDir ?? defaultKafkaJarsDir();
  if (!existsSync(jarsDir)) throw new Error(`no Kafka jars in ${jarsDir}`);
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const home = await mkdtemp(join(tmpdir(), 'rankstream-kafka-'));
  const count = options.nodes ?? 1;
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const controllerPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const brokers = ports.map((p) => `127.0.0.1:${p}`);
  const run = promisify(execFile);

  const nodes = await Promise.all(
    ports.map(async (port, i) => {
      const dir = join(home, `node-${i + 1}`);
      const propsFile = join(dir, 'server.properties');
      const log4jFile = join(dir, 'log4j.properties');
      const logFile = join(dir, 'server.log');
      await mkdir(dir, { recursive: true });
      const cluster = count > 1 ? { nodeId: i + 1, controllerPorts } : undefined;
      const controllerPort = controllerPorts[i] as number;
      await writeFile(
        propsFile,
        kraftServerProperties({ port, controllerPort, dataDir: join(dir, 'data'), small: true, cluster }),
      );
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
      return { id: i + 1, propsFile, logFile, jvm, child: undefined as ChildProcess | undefined };
    }),
  );

  const first = nodes[0];
  if (!first) throw new Error('a Kafka needs a node');
  const { stdout } = await run(java, [...first.jvm, ...NEW_CLUSTER_ID]);
  const clusterId = clusterIdFrom(stdout);
  if (!clusterId) throw new Error(`no Kafka cluster id in: ${stdout}`);
  // One cluster id for every node: they form one quorum.
  for (const node of nodes) {
    await run(java, [...node.jvm, ...formatStorage(clusterId, node.propsFile)]);
  }

  function spawnNode(node: (typeof nodes)[number]): ChildProcess {
    const proc = spawn(java, [...node.jvm, 'kafka.Kafka', node.propsFile], { stdio: 'ignore' });
    node.child = proc;
    proc.once('exit', () => {
      if (node.child === proc) node.child = undefined;
    });
    return proc;
  }

  async function waitFor(ids: readonly number[], procs: readonly ChildProcess[]): Promise<void> {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
    for (;;) {
      const live = await liveBrokerIds(brokers);
      if (live && ids.every((id) => live.includes(id))) return;
      const gone = procs.find((p) => p.exitCode !== null || p.signalCode !== null);
      const logs = nodes.map((n) => n.logFile).join(', ');
      if (gone) throw new Error(`a throwaway Kafka node exited while starting; see ${logs}`);
      if (Date.now() > deadline) throw new Error(`the throwaway Kafka was not ready in time; see ${logs}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function stopNode(node: (typeof nodes)[number], signal: NodeJS.Signals): Promise<void> {
    const proc = node.child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  const nodeAt = (i: number) => {
    const node = nodes[i];
    if (!node) throw new Error(`no Kafka node ${i}`);
    return node;
  };

  async function start(): Promise<void> {
    const procs = nodes.filter((n) => !n.child).map(spawnNode);
    await waitFor(
      nodes.map((n) => n.id),
      procs,
    );
  }

  await start();
  return {
    brokers,
    logFiles: nodes.map((n) => n.logFile),
    start,
    async stop() {
      await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
    },
    kill: (i) => stopNode(nodeAt(i), 'SIGKILL'),
    async startNode(i) {
      const node = nodeAt(i);
      if (node.child) return;
      await waitFor([node.id], [spawnNode(node)]);
    },
    async destroy() {
      await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
      await rm(home, { recursive: true, force: true });
    },
  };
}
