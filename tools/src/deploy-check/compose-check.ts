import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);

/** The Compose Specification's JSON schema, as dclint (a compose linter) ships it. */
function composeSchema(): object {
  const file = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  // Its "$schema" names draft-07 by a URL Ajv does not know; Ajv's default draft is draft-07.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(file, 'utf8'));
  return schema;
}

let validator: ReturnType<Ajv['compile']> | undefined;

export interface ComposeFile {
  /** Service name → its environment, merge keys (`<<`) resolved. */
  environments: Map<string, Record<string, string>>;
  problems: string[];
}

/** Parses a compose file and checks it against the Compose Specification. */
export function checkCompose(text: string): ComposeFile {
  const doc = parse(text, { merge: true }) as { services?: Record<string, { environment?: unknown }> };
  if (validator === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    validator = ajv.compile(composeSchema());
  }
  const problems = validator(doc)
    ? []
    : (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  const environments = new Map<string, Record<string, string>>();
  for (const [name, service] of Object.entries(doc.services ?? {})) {
    const env = service.environment;
    environments.set(
      name,
      env && typeof env === 'object' && !Array.isArray(env) ? (env as Record<string, string>) : {},
    );
  }
  return { environments, problems };
}
