import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LIMIT = 5;

/** Statuses of `perInstance` requests to each instance, all sent at once (well within one second). */
async function burst(instances: readonly ServiceProcess[], perInstance: number): Promise<number[]> {
  const requests = instances.flatMap((q) =>
    Array.from({ length: perInstance }, () =>
      fetch(`${q.url}/v1/boards`).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      }),
    ),
  );
  return (await Promise.all(requests)).sort();
}

/**
 * QUERY_RATE_LIMIT_SCOPE=shared: two query API instances count a client's requests together in
 * Redis; while Redis does not answer, each counts on its own (the documented fallback).
 */
describe('a per-address rate limit shared by two query API instances', () => {
  let env: TestEnv;
  const started: ServiceProcess[] = [];
  const start = async (extra: Record<string, string>) => {
    const settings = { QUERY_RATE_LIMIT_PER_S: String(LIMIT), QUERY_RATE_LIMIT_SCOPE: 'shared', ...extra };
    const pair = [];
    for (let i = 0; i < 2; i++) {
      const q = await startService('query-api', { ...env.env, ...settings }, { port: await freePort() });
      started.push(q);
      pair.push(q);
    }
    return pair;
  };

  beforeAll(async () => {
    env = await createTestEnv({ name: 'query_shared_limit' });
  });
  afterAll(async () => {
    for (const q of started) await q.stop();
    await env?.cleanup();
  });

  it('refuses what both instances together take past the limit', async () => {
    const pair = await start({});
    // 4 requests per instance: under the limit for each alone, 3 past it together.
    expect(await burst(pair, 4)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  it('falls back to a limit per instance while Redis does not answer', async () => {
    const pair = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await burst(pair, 4)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    await new Promise((r) => setTimeout(r, 1_100)); // the next second's counts
    expect(await burst(pair.slice(0, 1), LIMIT + 1)).toEqual([...Array(LIMIT).fill(200), 429]);
  });
});
