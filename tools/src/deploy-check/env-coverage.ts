/** The variables a deployment file gives one service: its own, and those of shared ConfigMaps. */
export interface ServiceEnv {
  own: readonly string[];
  shared: readonly string[];
}

/**
 * Compares what a deployment file sets with what each service reads (its config schema's keys), so
 * the two cannot drift: every variable read is set or on the list of those left to their defaults
 * on purpose, and nothing is set that no service reads.
 */
export function envCoverageProblems(
  file: string,
  reads: ReadonlyMap<string, readonly string[]>,
  sets: ReadonlyMap<string, ServiceEnv>,
  leftToDefault: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const sharedReaders = new Map<string, string[]>();
  for (const [service, env] of sets) {
    const read = reads.get(service);
    if (read === undefined) {
      problems.push(`${file}: ${service} is not a Rankstream service`);
      continue;
    }
    const given = new Set([...env.own, ...env.shared]);
    for (const name of read) {
      if (!given.has(name) && !leftToDefault.has(name)) {
        problems.push(`${file}: ${service} reads ${name}, which is neither set nor left to its default on purpose`);
      }
    }
    for (const name of env.own) {
      if (!read.includes(name)) problems.push(`${file}: sets ${name} for ${service}, which does not read it`);
    }
    for (const name of env.shared) {
      const readers = sharedReaders.get(name) ?? [];
      if (read.includes(name)) readers.push(service);
      sharedReaders.set(name, readers);
    }
  }
  for (const [name, readers] of sharedReaders) {
    if (readers.length === 0) problems.push(`${file}: shares ${name}, which none of its services reads`);
  }
  return problems;
}
