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
  const kafka = new Kafka({
    clientId: 'rankstream-stack-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
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
}

/** The single-node KRaft configuration, shared by the local stack and the tests' throwaway brokers. */
export function kraftServerProperties({ port, controllerPort, dataDir, small = false }: KraftNode): string {
  return `# Written by tools/src/stack/kafka-broker.ts on every start; edit that file, not this one.
# Single-node KRaft: this one process is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dataDir}
# One broker: every internal topic has a single replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=${small ? 1 : 10}
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
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
