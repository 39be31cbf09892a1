import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@rankstream/schemas/runtime';
import { mustRun } from './run-command.js';
import { APICURIO_VERSION, KAFKA_VERSION, REPO_ROOT } from './stack-config.js';

const COMPLETE = '.complete';

function fetchedVersion(target: string): string | undefined {
  try {
    return readFileSync(join(target, COMPLETE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Fetches into a scratch folder and renames it into place only when whole, so an interrupted
 * first start (Ctrl+C during a download) never leaves a half-filled folder that looks usable. The
 * marker holds the version, so changing a version constant fetches again.
 */
async function fetchOnce(
  target: string,
  version: string,
  what: string,
  logger: Logger,
  fill: (dir: string) => Promise<void>,
) {
  if (fetchedVersion(target) === version) return;
  const scratch = `${target}.partial`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const started = Date.now();
  logger.info({ target }, `fetching ${what} with Maven (first start only)`);
  try {
    await fill(scratch);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(
      `could not fetch ${what}: ${(error as Error).message}\n` +
        'Maven must reach Maven Central (or the mirror in ~/.m2/settings.xml). Alternatively point ' +
        'KAFKA_BROKERS / SCHEMA_REGISTRY_URL at running services and nothing is fetched.',
    );
  }
  writeFileSync(join(scratch, COMPLETE), `${version}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(scratch, target);
  logger.info({ target, ms: Date.now() - started }, `fetched ${what}`);
}

export function kafkaLibDir(stackDir: string): string {
  return join(stackDir, 'kafka', 'lib');
}

/** The broker's jars (kafka_2.13, kafka-tools, an slf4j binding) from tools/stack/pom.xml. */
export async function fetchKafkaJars(stackDir: string, logger: Logger): Promise<string> {
  const libDir = kafkaLibDir(stackDir);
  await fetchOnce(libDir, KAFKA_VERSION, `Kafka ${KAFKA_VERSION}`, logger, async (dir) => {
    await mustRun('mvn dependency:copy-dependencies', 'mvn', [
      '-B',
      '-q',
      '-f',
      join(REPO_ROOT, 'tools', 'stack', 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dlib.dir=${dir}`,
    ]);
    if (!readdirSync(dir).some((f) => f.startsWith('kafka_2.13-'))) throw new Error('no kafka_2.13 jar was copied');
  });
  return libDir;
}

/** Apicurio Registry's Quarkus app (runner jar + lib/), unpacked from its `all` tarball. */
export async function fetchApicurio(stackDir: string, logger: Logger): Promise<string> {
  const appDir = join(stackDir, 'registry', 'app');
  await fetchOnce(appDir, APICURIO_VERSION, `Apicurio Registry ${APICURIO_VERSION}`, logger, async (dir) => {
    // Plugin 2.8 on purpose: 3.x reads the artifact's parent POM first, and some mirrors serve the
    // app's POM and tarball but not io.apicurio:apicurio-registry:pom (seen here with 3.0.9); 2.8
    // copies the one file we need without walking the POM hierarchy.
    await mustRun(
      'mvn dependency:copy',
      'mvn',
      [
        '-B',
        '-q',
        'org.apache.maven.plugins:maven-dependency-plugin:2.8:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
        `-DoutputDirectory=${dir}`,
      ],
      { cwd: dir },
    );
    const tarball = join(dir, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    await mustRun('unpacking the registry', 'tar', ['-xzf', tarball, '-C', dir]);
    rmSync(tarball);
    if (!existsSync(join(dir, runnerJar()))) throw new Error(`${runnerJar()} missing from the tarball`);
  });
  return appDir;
}

export function runnerJar(): string {
  return `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`;
}
