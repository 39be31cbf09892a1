import { createHash } from 'node:crypto';
import { freePort, type ServiceProcess, startService } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTotals } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';

const KEY = 'many-key';
const USERS = 30;

interface Entry {
  rank: number;
  userId: string;
  score: number;
}

/**
 * Several instances of every service on one stack, as a team that outgrew one machine runs them:
 * two ingest APIs behind a balancer, three projectors in one consumer group, two query APIs. One
 * projector is SIGKILLed midway; the group gives its partitions to the others.
 */
describe('two ingest APIs, three projectors and two query APIs at once', () => {
  let world: ProjectorWorld;
  const ingest: ServiceProcess[] = [];
  const query: ServiceProcess[] = [];

  beforeAll(async () => {
    world = await createProjectorWorld('many', 6);
    const env = { ...world.env.env, API_KEYS: `t:${createHash('sha256').update(KEY).digest('hex')}:ingest` };
    for (let i = 0; i < 2; i++) {
      ingest.push(await startService('ingest-api', env, { port: await freePort(), readyTimeoutMs: 60_000 }));
      query.push(await startService('query-api', world.env.env, { port: await freePort(), readyTimeoutMs: 60_000 }));
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of [...ingest, ...query]) await s.stop();
    await world?.close();
  });

  it('counts every accepted event once and answers the same from every query API', async () => {
    const projectors = [await world.startProjector(), await world.startProjector(), await world.startProjector()];
    const expected = new Map<string, number>();

    // given batches posted round-robin to the two ingest APIs, one projector SIGKILLed midway
    for (let n = 0; n < 60; n++) {
      const events = Array.from({ length: 25 }, (_, i) => ({
        eventId: `many-${n}-${i}`,
        userId: `player-${(n * 11 + i) % USERS}`,
        value: 1 + ((n * 3 + i) % 17),
      }));
      const res = await fetch(`${ingest[n % 2]?.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(202);
      await res.body?.cancel();
      for (const e of events) expected.set(e.userId, (expected.get(e.userId) ?? 0) + e.value);
      if (n === 20) await projectors[0]?.stop('SIGKILL');
      await sleep(20);
    }
    await world.waitForProjection(90_000);

    // then PostgreSQL holds every accepted event once
    const stored = new Map(
      [...(await postgresTotals(world.db))]
        .filter(([id]) => id.startsWith('global/all/'))
        .map(([id, t]) => [id.slice('global/all/'.length), t.score]),
    );
    expect(stored).toEqual(expected);

    // and both query APIs give the same answers, those of the oracle
    const oracle = [...expected].sort((a, b) => b[1] - a[1]);
    const answers = await Promise.all(
      query.map(async (q) => {
        // The projection is complete; each instance hears of its last write by the push, or by its
        // poll within QUERY_STATE_POLL_MS (100 ms).
        await sleep(300);
        const top = (await (await fetch(`${q.url}/v1/boards/global/top?limit=${USERS}`)).json()) as {
          total: number;
          entries: Entry[];
        };
        const rank = (await (await fetch(`${q.url}/v1/boards/global/users/player-7`)).json()) as { score: number };
        return { top, rank };
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]?.top.total).toBe(USERS);
    expect(answers[0]?.top.entries.map((e) => e.score)).toEqual(oracle.map(([, score]) => score));
    expect(answers[0]?.rank.score).toBe(expected.get('player-7'));
    for (const p of projectors.slice(1)) await p.stop('SIGTERM');
  }, 180_000);
});
