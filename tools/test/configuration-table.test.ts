import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ingestEnv } from '../../ingest-api/dist/config.js';
import { queryEnv } from '../../query-api/dist/config.js';
import { projectorEnv } from '../../score-projector/dist/config.js';
import { stackEnv } from '../src/stack/stack-config.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${REPO_ROOT}${path}`, 'utf8');

/** Every variable a config schema reads, with who reads it. */
const READERS = new Map<string, string[]>();
for (const [who, env] of Object.entries({ ingestEnv, queryEnv, projectorEnv, stackEnv })) {
  for (const name of Object.keys(env)) READERS.set(name, [...(READERS.get(name) ?? []), who]);
}

/** Read straight from the environment by the test and JVM helpers, outside any config schema. */
const READ_BY_TEST_HELPERS = ['JAVA_HOME', 'TEST_DATABASE_URL', 'TEST_LOG_LEVEL', 'KAFKA_JARS_DIR'];

/** The variables a markdown text lists in the first cell of a table row (`A`, `A` / `B`). */
function tableVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of (line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1] as string);
  }
  return names;
}

function configurationSection(readme: string): string {
  const start = readme.indexOf('\n## Configuration\n');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe("the README's configuration table", () => {
  const documented = tableVariables(configurationSection(read('README.md')));

  it('lists every variable a service or the local stack reads', () => {
    expect([...READERS.keys()].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('lists nothing that nothing reads', () => {
    const unread = [...documented].filter((name) => !READERS.has(name) && !READ_BY_TEST_HELPERS.includes(name));
    expect(unread).toEqual([]);
  });

  it('is the only place a setting is listed: no package README has a table of them', () => {
    for (const readme of ['ingest-api', 'score-projector', 'query-api', 'schemas', 'tools', 'k8s']) {
      const listed = [...tableVariables(read(`${readme}/README.md`))].filter((name) => READERS.has(name));
      expect(listed, `${readme}/README.md`).toEqual([]);
    }
  });
});
