import { createHash } from 'node:crypto';
import http from 'node:http';
import { freePort, type ServiceProcess, startService, type TestEnv } from '../testing/index.js';

/** The API key the benches post with (its hash is in API_KEYS below; not a secret). */
const BENCH_KEY = 'bench-key-not-secret';

/** The services' environment for a bench: one ingest+admin key, no rate limits in the way. */
export function benchServiceEnv(env: TestEnv): Record<string, string> {
  return {
    ...env.env,
    API_KEYS: `bench:${createHash('sha256').update(BENCH_KEY).digest('hex')}:ingest+admin`,
    RATE_LIMIT_EVENTS_PER_S: '1000000',
    QUERY_RATE_LIMIT_PER_S: '0',
    CONSISTENCY_WAIT_MS: '10000',
  };
}

/** The whole pipeline on the bench's env: a projector (its own consumer group), an ingest API, a query API. */
export async function startPipeline(env: TestEnv, group: string) {
  const services = benchServiceEnv(env);
  const projector = await startService(
    'score-projector',
    { ...services, PROJECTOR_GROUP_ID: `${group}-${env.id}` },
    { port: await freePort() },
  );
  const ingest = await startService('ingest-api', services, { port: await freePort() });
  const query = await startService('query-api', services, { port: await freePort() });
  return {
    projector,
    ingest,
    query,
    stop: async (): Promise<void> => {
      await Promise.all([query, ingest, projector].map((s: ServiceProcess) => s.stop()));
    },
  };
}

export interface BenchAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Requests over one keep-alive pool of `maxSockets` connections, authorized with the bench key.
 * A body is sent as given when it is a string (serialized once by the caller), else as JSON.
 */
export function benchHttpClient(maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request = (base: string, method: string, path: string, body?: unknown) =>
    new Promise<BenchAnswer>((resolve, reject) => {
      const url = new URL(base);
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          agent,
          headers: body ? { 'content-type': 'application/json', authorization: `Bearer ${BENCH_KEY}` } : {},
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            data += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        },
      );
      req.on('error', reject);
      if (body === undefined) req.end();
      else req.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  return { request, close: () => agent.destroy() };
}
