import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { Logger } from './logger.js';

export interface KafkaConnection {
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID?: string | undefined;
  KAFKA_SSL: boolean;
  KAFKA_SSL_REJECT_UNAUTHORIZED: boolean;
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  config: KafkaConnection,
  clientId: string,
  logger: Logger,
  extra: Partial<KafkaConfig> = {},
): Kafka {
  const sasl: SASLOptions | undefined = config.KAFKA_SASL_MECHANISM
    ? ({
        mechanism: config.KAFKA_SASL_MECHANISM,
        username: config.KAFKA_SASL_USERNAME ?? '',
        password: config.KAFKA_SASL_PASSWORD ?? '',
      } as SASLOptions)
    : undefined;
  const kafkaLog = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID ?? clientId,
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL ? { rejectUnauthorized: config.KAFKA_SSL_REJECT_UNAUTHORIZED } : undefined,
    ...(sasl ? { sasl } : {}),
    // kafkajs logs at INFO on every (re)join; keep them, but as structured lines.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...rest } = log;
        kafkaLog[LEVELS[level] ?? 'info'](rest, message);
      },
    ...extra,
  });
}
