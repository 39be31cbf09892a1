import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestEnv } from '../../ingest-api/dist/config.js';
import { queryEnv } from '../../query-api/dist/config.js';
import { projectorEnv } from '../../score-projector/dist/config.js';
import {
  checkCompose,
  dockerfileProblems,
  envCoverageProblems,
  manifestProblems,
  renderKustomization,
  type ServiceEnv,
} from '../src/deploy-check/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What each service reads: the keys of its config schema. */
const READS = new Map<string, readonly string[]>([
  ['ingest-api', Object.keys(ingestEnv)],
  ['score-projector', Object.keys(projectorEnv)],
  ['query-api', Object.keys(queryEnv)],
]);

/**
 * Variables the deployment files may leave to their defaults (the README's table has each one):
 * tuning knobs, optional features, and what only a managed or secured setup sets (the production
 * overlay sets the Kafka TLS and SASL ones). A variable missing here and from a file fails the test.
 */
const LEFT_TO_DEFAULT = new Set([
  // Kafka client options for managed clusters, and the dead-letter topic's name.
  'KAFKA_CLIENT_ID',
  'KAFKA_SSL',
  'KAFKA_SSL_REJECT_UNAUTHORIZED',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'DLQ_TOPIC',
  // Ingest tuning and development-only options.
  'DEV_API_KEY_FILE',
  'STRICT_BOARDS',
  'MAX_CLOCK_SKEW_MS',
  'MAX_CLOCK_SKEW',
  'MAX_BODY_BYTES',
  'RATE_LIMIT_EVENTS_PER_S',
  'RATE_LIMIT_SCOPE',
  'KAFKA_ACK_TIMEOUT_MS',
  'PRODUCE_DEADLINE_MS',
  'BOARD_CACHE_TTL_MS',
  // Query tuning.
  'QUERY_RATE_LIMIT_PER_S',
  'QUERY_RATE_LIMIT_SCOPE',
  'TRUST_FORWARDED_FOR',
  'CORS_ORIGINS',
  'CONSISTENCY_WAIT_MS',
  'CONSISTENCY_POLL_MS',
  'REDIS_DEADLINE_MS',
  'MAX_REDIS_LAG_MS',
  'REDIS_LAG_CHECK_MS',
  'REDIS_BREAKER_ERROR_PERCENT',
  'REDIS_BREAKER_MIN_CALLS',
  'REDIS_BREAKER_RESET_MS',
  'QUERY_CACHE_ENTRIES',
  'QUERY_STATE_POLL_MS',
  'STREAM_POLL_MS',
  'STREAM_MIN_INTERVAL_MS',
  'STREAM_HEARTBEAT_MS',
  // The dashboard finds the ingest API on the page's host, port 8080, unless told otherwise.
  'DASHBOARD_INGEST_URL',
  // Projector tuning.
  'PROJECTOR_CONCURRENCY',
  'KAFKA_SESSION_TIMEOUT_MS',
  'PROJECTOR_MAX_BYTES_PER_PARTITION',
  'REDIS_CHECK_INTERVAL_MS',
  'PROJECTOR_BATCH_RETRIES',
  'PROJECTOR_TOTALS_CACHE_ENTRIES',
  'DEDUP_WINDOW',
  'HEARTBEAT_INTERVAL_MS',
  // Off by default: a deployment sizes it to its boards (README, Redis memory).
  'REDIS_TOP_K',
  // Three of each period by default; a deployment changes it for longer histories in Redis.
  'REDIS_KEEP_PERIODS',
]);

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the repository's deployment files, one of them changed, to prove a check fails. */
function brokenCopy(file: string, from: string, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs-deploy-'));
  scratch.push(dir);
  cpSync(join(REPO_ROOT, 'k8s'), join(dir, 'k8s'), { recursive: true });
  for (const f of ['Dockerfile', 'docker-compose.yml']) cpSync(join(REPO_ROOT, f), join(dir, f));
  const text = readFileSync(join(dir, file), 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  writeFileSync(join(dir, file), text.replace(from, to));
  return dir;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

type Manifest = ReturnType<typeof renderKustomization>[number];
type Container = { name: string; env?: { name: string }[]; envFrom?: { configMapRef?: { name: string } }[] };

/** Each Deployment's variables: its container's own and those of the ConfigMaps it takes whole. */
function deploymentEnvs(manifests: readonly Manifest[]): Map<string, ServiceEnv> {
  const configMaps = new Map(
    manifests
      .filter((m) => m.kind === 'ConfigMap')
      .map((m) => [m.metadata?.name ?? '', Object.keys((m.data as Record<string, string>) ?? {})]),
  );
  const envs = new Map<string, ServiceEnv>();
  for (const m of manifests.filter((x) => x.kind === 'Deployment')) {
    const [container] = (m.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;
    envs.set(m.metadata?.name ?? '', {
      own: (container?.env ?? []).map((e) => e.name),
      shared: (container?.envFrom ?? []).flatMap((f) => configMaps.get(f.configMapRef?.name ?? '') ?? []),
    });
  }
  return envs;
}

function kubernetesProblems(dir: string, overlay: string): string[] {
  const manifests = renderKustomization(join(dir, 'k8s', overlay));
  const problems = manifestProblems(manifests);
  problems.push(...envCoverageProblems(`k8s/${overlay}`, READS, deploymentEnvs(manifests), LEFT_TO_DEFAULT));
  const config = manifests.find((m) => m.kind === 'ConfigMap')?.data as Record<string, string> | undefined;
  const projector = manifests.find((m) => m.kind === 'Deployment' && m.metadata?.name === 'score-projector');
  const replicas = (projector?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  if (replicas > Number(config?.EVENTS_PARTITIONS)) {
    problems.push(`k8s/${overlay}: ${replicas} projector replicas for ${config?.EVENTS_PARTITIONS} partitions`);
  }
  return problems;
}

function composeProblems(dir: string): string[] {
  const compose = checkCompose(read(dir, 'docker-compose.yml'));
  const sets = new Map<string, ServiceEnv>();
  for (const service of READS.keys()) {
    sets.set(service, { own: Object.keys(compose.environments.get(service) ?? {}), shared: [] });
  }
  return [...compose.problems, ...envCoverageProblems('docker-compose.yml', READS, sets, LEFT_TO_DEFAULT)];
}

describe('the Dockerfile', () => {
  it('parses, builds in stages, and runs production dependencies as a non-root user with a health check', () => {
    expect(dockerfileProblems(read(REPO_ROOT, 'Dockerfile'))).toEqual([]);
  });

  it('is refused with a misspelt instruction, or a final stage running as root', () => {
    const typo = brokenCopy('Dockerfile', 'COPY --from=build /app/query-api', 'COPPY --from=build /app/query-api');
    expect(dockerfileProblems(read(typo, 'Dockerfile'))).toEqual([
      expect.stringMatching(/^line \d+: Unknown instruction: COPPY/),
    ]);
    const root = brokenCopy('Dockerfile', 'USER node', 'USER root');
    expect(dockerfileProblems(read(root, 'Dockerfile'))).toEqual(['the final stage does not run as a non-root USER']);
  });
});

describe('docker-compose.yml', () => {
  it('follows the Compose Specification and sets what each service reads', () => {
    expect(composeProblems(REPO_ROOT)).toEqual([]);
  });

  it('is refused with an unknown key, a variable no service reads, or one a service needs', () => {
    const unknownKey = brokenCopy('docker-compose.yml', '    healthcheck:', '    helthcheck:');
    expect(composeProblems(unknownKey)).toEqual([
      expect.stringContaining('must NOT have additional properties {"additionalProperty":"helthcheck"}'),
    ]);
    const extra = brokenCopy('docker-compose.yml', '      QUERY_WORKERS: "1"', '      QUERY_WORKER: "1"');
    expect(composeProblems(extra)).toEqual([
      'docker-compose.yml: query-api reads QUERY_WORKERS, which is neither set nor left to its default on purpose',
      'docker-compose.yml: sets QUERY_WORKER for query-api, which does not read it',
    ]);
  });
});

describe('the Kubernetes manifests', () => {
  for (const overlay of ['base', 'overlays/production']) {
    it(`render (${overlay}) to objects the Kubernetes API schemas accept, with every variable accounted for`, () => {
      expect(kubernetesProblems(REPO_ROOT, overlay)).toEqual([]);
    });
  }

  it('are refused with a field of the wrong type, a shared variable no service reads, or too many projectors', () => {
    const wrongType = brokenCopy('k8s/base/query-api.yaml', 'replicas: 2', 'replicas: two');
    expect(kubernetesProblems(wrongType, 'base')).toEqual(['Deployment/query-api: /spec/replicas must be integer']);
    const unread = brokenCopy('k8s/base/kustomization.yaml', '- LOG_LEVEL=info', '- LOG_LEVELS=info');
    expect(kubernetesProblems(unread, 'base')).toEqual([
      ...['ingest-api', 'query-api', 'score-projector'].map(
        (s) => `k8s/base: ${s} reads LOG_LEVEL, which is neither set nor left to its default on purpose`,
      ),
      'k8s/base: shares LOG_LEVELS, which none of its services reads',
    ]);
    const tooMany = brokenCopy('k8s/overlays/production/kustomization.yaml', 'value: 6', 'value: 13');
    expect(kubernetesProblems(tooMany, 'overlays/production')).toEqual([
      'k8s/overlays/production: 13 projector replicas for 12 partitions',
    ]);
  });

  it('are refused when kustomize cannot render them', () => {
    const typo = brokenCopy('k8s/base/kustomization.yaml', 'resources:', 'resourcez:');
    expect(() => kubernetesProblems(typo, 'base')).toThrow(/unknown field "resourcez"/);
  });
});
