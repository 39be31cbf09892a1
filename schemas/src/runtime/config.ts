import { z } from 'zod';
import { parseRedisUrl } from './redis-endpoint.js';

/**
 * Env fragments shared by the services, so each variable means the same thing everywhere.
 * Each service's config.ts composes the ones it needs and parses process.env once.
 */
const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

export const logEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const kafkaEnv = {
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_SSL: bool,
  KAFKA_SSL_REJECT_UNAUTHORIZED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  EVENTS_TOPIC: z.string().min(1).default('score-events'),
  DLQ_TOPIC: z.string().min(1).optional(),
};

export const registryEnv = {
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8181/apis/ccompat/v7'),
};

export const postgresEnv = {
  DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/leaderboard'),
  PG_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
};

export const redisEnv = {
  /** redis://, rediss:// (TLS), redis+cluster:// or rediss+cluster:// (seed nodes, comma-separated). */
  REDIS_URL: z
    .string()
    .min(1)
    .default('redis://127.0.0.1:6379')
    .superRefine((url, ctx) => {
      const parsed = parseRedisUrl(url);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
  /** Treats a redis:// or rediss:// URL as a seed node of a Redis Cluster. */
  REDIS_CLUSTER: bool,
  /** Every Redis key starts with it, so that several deployments or test runs share a server. */
  REDIS_PREFIX: z.string().default('rs:'),
};

/** Comma-separated origins a browser page may call the API from, or `*` for any. */
export const corsOriginsEnv = {
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
};

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

export class ConfigError extends Error {}

/** Parses once and fails listing every problem, so an operator fixes them in one go. */
export function parseEnv<T extends z.ZodRawShape>(shape: T, env: NodeJS.ProcessEnv): z.output<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function dlqTopic(config: { EVENTS_TOPIC: string; DLQ_TOPIC?: string | undefined }): string {
  return config.DLQ_TOPIC ?? `${config.EVENTS_TOPIC}-dlq`;
}
