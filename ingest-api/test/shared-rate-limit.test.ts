import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';

const KEY = 'shared-limit-key';
/** The least the setting allows: a burst of 1,000 events per key. */
const RATE = 500;

/**
 * RATE_LIMIT_SCOPE=shared: two ingest API instances count a key's events together in Redis; while
 * Redis does not answer, each counts on its own (the documented fallback).
 */
describe('a per-key event rate shared by two ingest API instances', () => {
  let env: TestEnv;
  const started: ServiceProcess[] = [];
  let batch = 0;

  const start = async (extra: Record<string, string>) => {
    const settings = {
      API_KEYS: `t:${sha256Hex(KEY)}:ingest`,
      RATE_LIMIT_EVENTS_PER_S: String(RATE),
      RATE_LIMIT_SCOPE: 'shared',
      ...extra,
    };
    const pair: ServiceProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const api = await startService('ingest-api', { ...env.env, ...settings }, { port: await freePort() });
      started.push(api);
      pair.push(api);
    }
    return pair;
  };

  /** Statuses of one batch of `size` events to each instance, sent at once. */
  const post = (apis: readonly ServiceProcess[], size = 600) =>
    Promise.all(
      apis.map(async (api) => {
        const b = batch++;
        const events = Array.from({ length: size }, (_, i) => ({ eventId: `sl-${b}-${i}`, userId: `u${i}`, value: 1 }));
        const res = await fetch(`${api.url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        await res.body?.cancel();
        return res.status;
      }),
    ).then((statuses) => statuses.sort());

  beforeAll(async () => {
    env = await createTestEnv({ name: 'ingest_shared_limit' });
  });
  afterAll(async () => {
    for (const api of started) await api.stop();
    await env?.cleanup();
  });

  it('refuses the batch that takes the key past its burst across both instances', async () => {
    const pair = await start({});
    // 600 events fit one instance's burst of 1,000; 1,200 together do not.
    expect(await post(pair)).toEqual([202, 429]);
  });

  it('falls back to a bucket per instance while Redis does not answer', async () => {
    const pair = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await post(pair)).toEqual([202, 202]);
    // A full burst more is refused until the 600 taken have refilled (1.2 s at 500/s): a margin
    // that a slow first request (schemas registered on first use) does not eat, as 600 more did.
    expect(await post(pair.slice(0, 1), 1_000)).toEqual([429]);
  });
});
