import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export type ServiceName = 'ingest-api' | 'score-projector' | 'query-api';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A real service process (its built dist/main.js), for tests that kill, restart and watch it. */
export interface ServiceProcess {
  name: ServiceName;
  port: number;
  url: string;
  child: ChildProcess;
  /** Everything it printed so far (JSON log lines). */
  output(): string;
  /** Sends the signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const PORT_VARS: Record<ServiceName, string> = {
  'ingest-api': 'INGEST_PORT',
  'score-projector': 'PROJECTOR_PORT',
  'query-api': 'QUERY_PORT',
};

export interface ServiceOptions {
  port: number;
  readyTimeoutMs?: number;
  waitReady?: boolean;
  /** Node's own flags, e.g. `--cpu-prof` (NODE_OPTIONS refuses it). */
  nodeArgs?: readonly string[];
}

export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: ServiceOptions,
): Promise<ServiceProcess> {
  const proc = await startNodeProcess(
    name,
    `${REPO_ROOT}${name}/dist/main.js`,
    {
      ...env,
      [PORT_VARS[name]]: String(options.port),
    },
    options,
  );
  return { ...proc, name };
}

/**
 * A Node script as a child process listening on `options.port`, waited for until its /readyz
 * answers 200 (unless `waitReady` is false). `label` names it in errors.
 */
export async function startNodeProcess(
  label: string,
  script: string,
  env: Record<string, string>,
  options: ServiceOptions,
): Promise<Omit<ServiceProcess, 'name'>> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${options.port}`;
  const proc = {
    port: options.port,
    url,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady !== false) {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}:\n${out}`);
      try {
        const res = await fetch(`${url}/readyz`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${label} not ready within the deadline:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return proc;
}

/** A port nobody listens on right now (the OS picks it), for a service process under test. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
