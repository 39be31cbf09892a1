import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

/**
 * Fetches the jars (first time only), writes the broker's config and formats its storage (first
 * time only: a formatted log dir is kept, so topics and offsets survive restarts).
 */
export async function prepareKafka(cfg: StackConfig, logger: Logger): Promise<ProcessSpec & { logFile: string }> {
  const libDir = await fetchKafkaJars(cfg.stackDir, logger);
  const home = join(cfg.stackDir, 'kafka');
  const dataDir = join(home, 'data');
  const logDir = join(home, 'logs');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const propsFile = join(home, 'server.properties');
  const log4jFile = join(home, 'log4j.properties');
  const logFile = join(logDir, 'server.log');
  writeFileSync(
    propsFile,
    kraftServerProperties({ port: cfg.LOCAL_KAFKA_PORT, controllerPort: cfg.LOCAL_KAFKA_CONTROLLER_PORT, dataDir }),
  );
  writeFileSync(log4jFile, log4jProperties(logFile));

  const java = javaCommand();
  const classpath = `${libDir}/*`;
  const log4j = `-Dlog4j.configuration=file:${log4jFile}`;
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = (
      await mustRun('creating a Kafka cluster id', java, [
        log4j,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'random-uuid',
      ])
    )
      .trim()
      .split('\n')
      .pop()!
      .trim();
    await mustRun('formatting the Kafka storage', java, [
      log4j,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
      '--ignore-formatted',
    ]);
    logger.info({ clusterId, dataDir }, 'formatted the Kafka storage');
  }

  return {
    name: 'kafka',
    command: java,
    args: [
      `-Xmx${cfg.LOCAL_KAFKA_HEAP}`,
      '-Xms128m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      log4j,
      '-cp',
      classpath,
      'kafka.Kafka',
      propsFile,
    ],
    cwd: home,
    output: { file: join(logDir, 'stdout.log') },
    logFile,
  };
}
