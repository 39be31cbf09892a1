import http from 'node:http';
import { type LatencySummary, summarize } from './stats.js';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  /** How many answers each X-Served-By value had. */
  servedBy: Record<string, number>;
}

/**
 * A closed-loop load: `connections` keep-alive connections, each sending its next GET as soon as the
 * previous answer is read, for `seconds`. Bounded in time; loopback only.
 */
export async function runLoad(options: {
  baseUrl: string;
  path: () => string;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  const url = new URL(options.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const servedBy: Record<string, number> = {};
  let errors = 0;
  const stopAt = performance.now() + options.seconds * 1000;
  const started = performance.now();

  const get = (path: string) =>
    new Promise<{ status: number; servedBy: string }>((resolve, reject) => {
      const req = http.get({ host: url.hostname, port: url.port, path, agent }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by'] ?? '-') }),
        );
      });
      req.on('error', reject);
    });

  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        try {
          const res = await get(options.path());
          if (res.status !== 200) errors += 1;
          servedBy[res.servedBy] = (servedBy[res.servedBy] ?? 0) + 1;
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    errors,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: summarize(latencies),
    servedBy,
  };
}
