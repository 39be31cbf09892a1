import { join } from 'node:path';
import { runCommand } from './run-command.js';

/** The java launcher: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on the PATH. */
export function javaCommand(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Fails with a clear message unless a Java 17+ runtime is there (Kafka 3.9 and Apicurio 3.0 need 17). */
export async function requireJava17(): Promise<void> {
  const result = await runCommand(javaCommand(), ['-version']).catch((error: Error) => {
    throw new Error(`a Java 17+ runtime is needed for the local Kafka and registry: ${error.message}`);
  });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.output);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : Number.NaN;
  if (!(major >= 17)) {
    throw new Error(`Java 17 or later is needed for the local Kafka and registry, found: ${result.output.trim()}`);
  }
}
