import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logEnv, parseEnv, port } from '@rankstream/schemas/runtime';
import { z } from 'zod';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const optionalUrl = z
  .string()
  .optional()
  .transform((s) => (s?.trim() ? s.trim() : undefined));

/**
 * What the local stack reads from the environment. A service URL that is set means "use that one,
 * start nothing local for it"; the LOCAL_* ports are where the project's own Kafka and registry
 * listen when it has to start them (or finds them already running).
 */
export const stackEnv = {
  ...logEnv,
  STACK_DIR: z.string().optional(),
  LOCAL_KAFKA_PORT: port(9092),
  LOCAL_KAFKA_CONTROLLER_PORT: port(9093),
  /**
   * Nodes of the local Kafka: 1, or a KRaft cluster (3 replicates every topic three times with
   * min.insync.replicas 2). Node i (from 0) listens on LOCAL_KAFKA_PORT + 2i, its controller on
   * LOCAL_KAFKA_CONTROLLER_PORT + 2i.
   */
  LOCAL_KAFKA_BROKERS: z.coerce.number().int().min(1).max(5).default(1),
  LOCAL_REGISTRY_PORT: port(8181),
  KAFKA_BROKERS: optionalUrl,
  SCHEMA_REGISTRY_URL: optionalUrl,
  DATABASE_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  INGEST_PORT: port(8080),
  QUERY_PORT: port(8081),
  PROJECTOR_PORT: port(8082),
  /** Unset: `npm start` generates a dev key (kept in STACK_DIR/dev-api-key) and passes its hash on. */
  API_KEYS: z.string().optional(),
  EVENTS_TOPIC: z.string().min(1).default('score-events'),
  DLQ_TOPIC: z.string().min(1).optional(),
  EVENTS_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(6),
  /** Heap of the local broker and registry JVMs (java -Xmx). */
  LOCAL_KAFKA_HEAP: z.string().default('768m'),
  LOCAL_REGISTRY_HEAP: z.string().default('384m'),
  /** Compatibility rule the local registry enforces for every subject. */
  REGISTRY_COMPATIBILITY: z.enum(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']).default('BACKWARD'),
  /** auto: containers when Docker answers and nothing is configured; local: never containers. */
  TEST_STACK: z.enum(['auto', 'local', 'containers']).default('auto'),
};

export type StackConfig = ReturnType<typeof loadStackConfig>;

export function loadStackConfig(env: NodeJS.ProcessEnv) {
  const raw = parseEnv(stackEnv, env);
  return {
    ...raw,
    stackDir: resolve(raw.STACK_DIR ?? `${REPO_ROOT}.stack`),
    dlqTopic: raw.DLQ_TOPIC ?? `${raw.EVENTS_TOPIC}-dlq`,
  };
}

export const KAFKA_VERSION = '3.9.1';
export const APICURIO_VERSION = '3.0.9';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/leaderboard';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
