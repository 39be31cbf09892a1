import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';

/** An HTTP call to a running service with an API key, and a JSON body when given. */
export function call(service: ServiceProcess, method: string, path: string, key: string, body?: unknown) {
  return fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Reads until `done` holds or the time is up, and returns the last value read (the test then asserts on it). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The whole pipeline on its own test world: a projector, an ingest API with these API_KEYS, a query API. */
export interface Pipeline {
  env: TestEnv;
  ingest: ServiceProcess;
  projector: ServiceProcess;
  query: ServiceProcess;
  stop(): Promise<void>;
}

export async function startPipeline(
  name: string,
  apiKeys: string,
  partitions = 2,
  projectorEnv: Record<string, string> = {},
): Promise<Pipeline> {
  const env = await createTestEnv({ name, partitions });
  const projector = await startService(
    'score-projector',
    { ...env.env, ...projectorEnv },
    { port: await freePort(), readyTimeoutMs: 60_000 },
  );
  const [ingest, query] = await Promise.all([
    startService('ingest-api', { ...env.env, API_KEYS: apiKeys }, { port: await freePort() }),
    startService('query-api', env.env, { port: await freePort() }),
  ]);
  return {
    env,
    ingest,
    projector,
    query,
    async stop() {
      await Promise.all([ingest.stop(), query.stop(), projector.stop()]);
      await env.cleanup();
    },
  };
}
