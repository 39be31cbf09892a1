import { createHash } from 'node:crypto';
import {
  freePort,
  type ServiceProcess,
  startService,
  startThrowawayKafka,
  type ThrowawayKafka,
} from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { postgresTotals, redisBoards } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';

const KEY = 'failover-key';
const USERS = 40;

/**
 * A replicated Kafka (three KRaft nodes, every topic on three replicas, acks=all needing two) loses
 * one node at a time to SIGKILL while game servers post through the ingest API and the projector
 * runs. No acknowledged event may be lost or counted twice, and a request may only be answered 202
 * or 503 with Retry-After (the client then retries with the same eventIds, as documented).
 */
describe('a three-broker Kafka losing a broker at a time', () => {
  let kafka: ThrowawayKafka;
  let world: ProjectorWorld;
  let api: ServiceProcess;

  beforeAll(async () => {
    kafka = await startThrowawayKafka({ nodes: 3 });
    world = await createProjectorWorld('failover', 3, { kafkaBrokers: kafka.brokers });
    api = await startService(
      'ingest-api',
      {
        ...world.env.env,
        API_KEYS: `t:${createHash('sha256').update(KEY).digest('hex')}:ingest`,
        PRODUCE_DEADLINE_MS: '5000',
      },
      { port: await freePort(), readyTimeoutMs: 60_000 },
    );
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await world?.close();
    await kafka?.destroy();
  });

  /** Until every partition of the events topic has all three replicas in sync again. */
  async function replicasInSync(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const metadata = await world.admin.fetchTopicMetadata({ topics: [world.env.eventsTopic] }).catch(() => undefined);
      const partitions = metadata?.topics[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((p) => p.isr.length === 3)) return;
      if (Date.now() > deadline) throw new Error(`replicas not back in sync; see ${kafka.logFiles.join(', ')}`);
      await sleep(500);
    }
  }

  it('keeps every acknowledged event, once, while brokers are SIGKILLed and restarted', async () => {
    const projector = await world.startProjector();
    const pid = projector.child.pid;
    const accepted = new Map<string, { userId: string; value: number }>();
    const answers = new Map<string, number>();
    const refusals: string[] = [];
    let posting = true;

    /** A game server's loop: a batch of 20, retried with the same eventIds after each 503. */
    async function client(c: number): Promise<void> {
      for (let n = 0; posting; n++) {
        const events = Array.from({ length: 20 }, (_, i) => ({
          eventId: `fo-${c}-${n}-${i}`,
          userId: `player-${(c * 7 + n + i) % USERS}`,
          value: 1 + ((n + i) % 9),
        }));
        for (;;) {
          const res = await fetch(`${api.url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ events }),
          });
          const retryAfter = res.headers.get('Retry-After');
          const label =
            res.status === 503 ? `503 with Retry-After ${retryAfter === null ? 'missing' : 'set'}` : String(res.status);
          answers.set(label, (answers.get(label) ?? 0) + 1);
          const body = await res.text();
          if (res.status === 202) {
            for (const e of events) accepted.set(e.eventId, e);
            break;
          }
          if (res.status !== 503) {
            refusals.push(`${res.status} ${body}`);
            break;
          }
          await sleep(250);
        }
      }
    }

    // given three clients posting all along
    const clients = [0, 1, 2].map(client);
    await sleep(3_000);
    // when one broker is killed, later restarted, and then another
    for (const node of [0, 1]) {
      await kafka.kill(node);
      await sleep(8_000);
      await kafka.startNode(node);
      await replicasInSync();
    }
    await sleep(2_000);
    posting = false;
    await Promise.all(clients);

    // then every request was answered 202, or 503 with Retry-After
    expect(refusals).toEqual([]);
    expect([...answers.keys()].filter((k) => k !== '202' && k !== '503 with Retry-After set')).toEqual([]);
    expect(accepted.size).toBeGreaterThan(500);
    // and PostgreSQL and Redis hold the sums of the acknowledged events, each counted once
    await world.waitForProjection(120_000);
    const expected = new Map<string, { score: number; eventCount: number }>();
    for (const { userId, value } of accepted.values()) {
      const t = expected.get(userId) ?? { score: 0, eventCount: 0 };
      expected.set(userId, { score: t.score + value, eventCount: t.eventCount + 1 });
    }
    const stored = new Map(
      [...(await postgresTotals(world.db))]
        .filter(([id]) => id.startsWith('global/all/'))
        .map(([id, t]) => [id.slice('global/all/'.length), { score: t.score, eventCount: t.eventCount }]),
    );
    expect(stored).toEqual(expected);
    const board = (await redisBoards(world.redis, world.env.redisPrefix, new Map([['global', 'desc']]))).get(
      'global:all',
    );
    expect(new Map(board?.map((e) => [e.userId, e.score]))).toEqual(
      new Map([...expected].map(([u, t]) => [u, t.score])),
    );
    // and the projector kept going through both failovers, in the same process
    expect(projector.child.pid).toBe(pid);
    expect(projector.child.exitCode).toBeNull();
    console.log(
      `broker failover: ${accepted.size} events accepted; answers ${JSON.stringify(Object.fromEntries(answers))}; ` +
        `projector batches ${await counterValue(projector.url, 'rankstream_projector_batches_total')}`,
    );
    await projector.stop('SIGTERM');
  }, 300_000);
});
