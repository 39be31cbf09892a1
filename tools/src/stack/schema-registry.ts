import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@rankstream/schemas/runtime';
import { javaCommand } from './java-runtime.js';
import { fetchApicurio, runnerJar } from './maven-artifacts.js';
import type { StackConfig } from './stack-config.js';
import type { ProcessSpec } from './supervised-process.js';

/** The Confluent-compatible API of an Apicurio registry served at `base` (http://host:port). */
export function confluentApiUrl(base: string): string {
  return `${base.replace(/\/$/, '')}/apis/ccompat/v7`;
}

export async function registryReady(base: string): Promise<boolean> {
  const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status === 200;
}

/**
 * @kafkajs/confluent-schema-registry's register() reads the subject's compatibility first and
 * fails on Apicurio's default answer, so a global rule is set explicitly on every start.
 */
export async function setGlobalCompatibility(confluentUrl: string, level: string, logger: Logger): Promise<void> {
  const res = await fetch(`${confluentUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`setting the registry's compatibility to ${level} failed: ${res.status} ${text}`);
  logger.info({ compatibility: level }, 'schema registry compatibility rule set');
}

/**
 * Apicurio Registry with its storage in an H2 file database under the stack dir: schema ids must
 * survive restarts, because messages already in Kafka reference them for ever.
 */
export async function prepareRegistry(cfg: StackConfig, logger: Logger): Promise<ProcessSpec & { logFile: string }> {
  const appDir = await fetchApicurio(cfg.stackDir, logger);
  const home = join(cfg.stackDir, 'registry');
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(home, 'registry.log');
  return {
    name: 'schema-registry',
    command: javaCommand(),
    args: [`-Xmx${cfg.LOCAL_REGISTRY_HEAP}`, '-Djava.awt.headless=true', '-jar', join(appDir, runnerJar())],
    cwd: appDir,
    env: {
      ...process.env,
      QUARKUS_HTTP_PORT: String(cfg.LOCAL_REGISTRY_PORT),
      QUARKUS_HTTP_HOST: '127.0.0.1',
      APICURIO_DATASOURCE_URL: `jdbc:h2:file:${join(dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
    },
    output: { file: logFile },
    logFile,
  };
}
