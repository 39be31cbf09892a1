import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@rankstream/schemas/runtime';
import { Kafka, logLevel } from 'kafkajs';
import { javaCommand } from './java-runtime.js';
import { fetchKafkaJars } from './maven-artifacts.js';
import { mustRun } from './run-command.js';
import type { StackConfig } from './stack-config.js';
import type { ProcessSpec } from './supervised-process.js';

/** True once the broker answers metadata requests with itself registered (topics can be created). */
export async function kafkaReady(brokers: string): Promise<boolean> {
  return ((await liveBrokerIds(brokers.split(','))) ?? []).length > 0;
}

/** The node ids the cluster lists as live brokers, or undefined when it does not answer (or has no controller). */
export async function liveBrokerIds(brokers: readonly string[]): Promise<number[] | undefined> {
  const kafka = new Kafka({
    clientId: 'rankstream-stack-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.controller === null ? undefined : cluster.brokers.map((b) => b.nodeId);
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface KraftNode {
  port: number;
  controllerPort: number;
  dataDir: string;
  /** Threads and internal partitions: a throwaway test broker gets by on fewer. */
  small?: boolean;
  /** In a cluster: this node's id (1-based) and every node's controller port, in id order. */
  cluster?: { nodeId: number; controllerPorts: readonly number[] };
}

/**
 * A KRaft node's configuration, shared by the local stack and the tests' throwaway brokers: one
 * process that is both broker and controller, alone or one of a cluster whose every node is a voter.
 * A cluster of three or more replicates every topic three times and acknowledges a write (acks=all)
 * once two replicas have it, so one node may die without losing an acknowledged event.
 */
export function kraftServerProperties({ port, controllerPort, dataDir, small = false, cluster }: KraftNode): string {
  const nodeId = cluster?.nodeId ?? 1;
  const voters = (cluster?.controllerPorts ?? [controllerPort]).map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');
  const replicas = Math.min(3, cluster?.controllerPorts.length ?? 1);
  const minInSync = Math.max(1, replicas - 1);
  return `# Written by tools/src/stack/kafka-broker.ts on every start; edit that file, not this one.
process.roles=broker,controller
node.id=${nodeId}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dataDir}
offsets.topic.replication.factor=${replicas}
offsets.topic.num.partitions=${small ? 1 : 10}
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minInSync}
default.replication.factor=${replicas}
min.insync.replicas=${minInSync}
unclean.leader.election.enable=false
# Consumers in tests and in dev join at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# Topics are created by the project with explicit settings (schemas/src/runtime/topics.ts); a typo
# in a topic name must fail, not silently create a second log.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
num.network.threads=${small ? 1 : 2}
num.io.threads=${small ? 2 : 4}
`;
}

function log4jProperties(logFile: string): string {
  return `# Written by tools/src/stack/kafka-broker.ts. The broker logs to a file, not the dev console.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${logFile}
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.org.apache.kafka.controller=INFO
`;
}

/** Kafka's StorageTool printing a new cluster id (its last line of output; see clusterIdFrom). */
export const NEW_CLUSTER_ID = ['kafka.tools.StorageTool', 'random-uuid'];

/** The cluster id in what NEW_CLUSTER_ID printed (a JVM may print warnings before it). */
export function clusterIdFrom(stdout: string): string | undefined {
  return stdout.trim().split('\n').pop()?.trim() || undefined;
}

/** Kafka's StorageTool formatting a node's log dirs as one of cluster `clusterId` (once; kept after). */
export function formatStorage(clusterId: string, propsFile: string): string[] {
  return ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'];
}

/** Where node i (from 0) of the local Kafka listens. */
export function localKafkaPorts(cfg: StackConfig, node: number): { port: number; controllerPort: number } {
  return { port: cfg.LOCAL_KAFKA_PORT + 2 * node, controllerPort: cfg.LOCAL_KAFKA_CONTROLLER_PORT + 2 * node };
}

/**
 * Fetches the jars (first time only), writes each node's config and formats its storage (first time
 * only: a formatted log dir is kept, so topics and offsets survive restarts). One node lives in
 * STACK_DIR/kafka; a cluster of N in STACK_DIR/kafka-cluster-N/node-i, all formatted with one
 * cluster id.
 */
export async function prepareKafka(cfg: StackConfig, logger: Logger): Promise<(ProcessSpec & { logFile: string })[]> {
  const libDir = await fetchKafkaJars(cfg.stackDir, logger);
  const count = cfg.LOCAL_KAFKA_BROKERS;
  const java = javaCommand();
  const classpath = `${libDir}/*`;
  const nodes = Array.from({ length: count }, (_, i) => {
    const home =
      count === 1 ? join(cfg.stackDir, 'kafka') : join(cfg.stackDir, `kafka-cluster-${count}`, `node-${i + 1}`);
    const dataDir = join(home, 'data');
    const logDir = join(home, 'logs');
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    const propsFile = join(home, 'server.properties');
    const log4jFile = join(home, 'log4j.properties');
    const logFile = join(logDir, 'server.log');
    const cluster =
      count === 1
        ? undefined
        : {
            nodeId: i + 1,
            controllerPorts: Array.from({ length: count }, (_, j) => localKafkaPorts(cfg, j).controllerPort),
          };
    writeFileSync(propsFile, kraftServerProperties({ ...localKafkaPorts(cfg, i), dataDir, cluster }));
    writeFileSync(log4jFile, log4jProperties(logFile));
    return { name: count === 1 ? 'kafka' : `kafka-${i + 1}`, home, dataDir, logDir, propsFile, logFile, log4jFile };
  });

  const unformatted = nodes.filter((n) => !existsSync(join(n.dataDir, 'meta.properties')));
  if (unformatted.length > 0) {
    const formatted = nodes.find((n) => !unformatted.includes(n));
    const clusterId =
      formatted === undefined
        ? clusterIdFrom(
            await mustRun('creating a Kafka cluster id', java, [
              `-Dlog4j.configuration=file:${nodes[0]?.log4jFile}`,
              '-cp',
              classpath,
              ...NEW_CLUSTER_ID,
            ]),
          )
        : /cluster\.id=(\S+)/.exec(readFileSync(join(formatted.dataDir, 'meta.properties'), 'utf8'))?.[1];
    if (!clusterId) throw new Error('no Kafka cluster id to format the storage with');
    for (const node of unformatted) {
      await mustRun('formatting the Kafka storage', java, [
        `-Dlog4j.configuration=file:${node.log4jFile}`,
        '-cp',
        classpath,
        ...formatStorage(clusterId, node.propsFile),
      ]);
      logger.info({ clusterId, dataDir: node.dataDir }, 'formatted the Kafka storage');
    }
  }

  return nodes.map((node) => ({
    name: node.name,
    command: java,
    args: [
      `-Xmx${cfg.LOCAL_KAFKA_HEAP}`,
      '-Xms128m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${node.log4jFile}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      node.propsFile,
    ],
    cwd: node.home,
    output: { file: join(node.logDir, 'stdout.log') },
    logFile: node.logFile,
  }));
}
