import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type AnyEventInput,
  compareEntries,
  createEventCodec,
  createEventProducer,
  type RankOrder,
  toTieKey,
} from '@rankstream/schemas';
import {
  connectTestRedis,
  createTestEnv,
  freePort,
  type ServiceProcess,
  startService,
  type TestEnv,
  testKafka,
} from '@rankstream/tools/testing';
import type { Admin, Producer } from 'kafkajs';
import pg from 'pg';
import { expect } from 'vitest';
import { expectedBoards, expectedPeriodCounts, oracle, type ProducedAt } from './oracle.js';
import {
  postgresPeriodCounts,
  postgresProfiles,
  postgresRankBuckets,
  postgresTotals,
  recountedRankBuckets,
  redisBoards,
  redisProfiles,
  redisVersions,
  waitForProjection,
} from './projection-state.js';
import { TEST_BOARDS } from './random-stream.js';

const REPLAY = fileURLToPath(new URL('../../tools/dist/replay/replay.js', import.meta.url));

/**
 * One isolated world (database, Redis prefix, topics) with clients to produce into it and to read
 * the projection back, and the check that both stores equal the oracle of everything produced.
 */
export async function createProjectorWorld(
  name: string,
  partitions = 3,
  options: {
    producerTimestamps?: boolean;
    kafkaBrokers?: string[];
    redisUrl?: string;
    /** Boards defined before the first event besides TEST_BOARDS, as the ingest API would. */
    boards?: { board: string; order: RankOrder; tiebreaks?: { order: RankOrder; op: string }[] }[];
  } = {},
) {
  const env: TestEnv = await createTestEnv({ name, partitions, ...options });
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 3 });
  // The database is dropped WITH (FORCE) at cleanup; an idle client hearing about it is not a failure.
  db.on('error', () => {});
  const redis = connectTestRedis(env.redisUrl);
  const kafka = testKafka(env.kafkaBrokers);
  const admin: Admin = kafka.admin();
  await admin.connect();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const codec = createEventCodec({ registryUrl: env.registryUrl, topic: env.eventsTopic });
  const events = createEventProducer({ producer, admin, codec, topic: env.eventsTopic });
  const orders = new Map<string, RankOrder>(TEST_BOARDS.map((b) => [b.board, b.order]));
  const tieOrders = new Map<string, RankOrder[]>();
  for (const b of options.boards ?? []) {
    orders.set(b.board, b.order);
    if (b.tiebreaks?.length)
      tieOrders.set(
        b.board,
        b.tiebreaks.map((c) => c.order),
      );
    await db.query(`INSERT INTO boards (board, sort_order, default_op, tiebreaks) VALUES ($1, $2, 'add', $3)`, [
      b.board,
      b.order,
      JSON.stringify(b.tiebreaks ?? []),
    ]);
  }
  // Boards other than desc are defined before their first event, as the ingest API would.
  for (const b of TEST_BOARDS.filter((b) => b.order !== 'desc')) {
    await db.query(`INSERT INTO boards (board, sort_order, default_op) VALUES ($1, $2, 'set')`, [b.board, b.order]);
  }
  const produced: ProducedAt[] = [];
  // Its own consumer group: groups are shared broker-wide, and a shared one would rebalance across tests.
  const groupId = `projector-${env.id}`;
  const running = new Set<ServiceProcess>();

  /** Then: PostgreSQL totals, player counts, rank buckets and profiles equal the oracle (which is returned). */
  async function expectPostgresEqualsOracle(windowSeconds: number | null = null) {
    const expected = oracle(produced, windowSeconds);
    expect(await postgresTotals(db)).toEqual(expected.totals);
    expect(await postgresPeriodCounts(db)).toEqual(expectedPeriodCounts(expected.totals));
    expect(await postgresRankBuckets(db)).toEqual(await recountedRankBuckets(db));
    expect(await postgresProfiles(db)).toEqual(expected.profiles);
    return expected;
  }

  return {
    env,
    db,
    redis,
    admin,
    producer,
    codec,
    produced,
    groupId,

    /** Produces in order (one request at a time, so log order is array order per partition). */
    async produce(inputs: readonly AnyEventInput[], chunk = 50): Promise<void> {
      for (let i = 0; i < inputs.length; i += chunk) {
        const slice = inputs.slice(i, i + chunk);
        const acks = await events.produce(slice);
        // Acks come in input order; a board event has one per partition, each for its own copy.
        let k = 0;
        for (const input of slice) {
          if (input.kind !== 'board') {
            const ack = acks[k++] as (typeof acks)[number];
            produced.push({ input, partition: ack.partition, offset: ack.offset });
            continue;
          }
          while (acks[k]?.eventId.startsWith(`${input.event.eventId}/p`)) {
            const ack = acks[k++] as (typeof acks)[number];
            const copy: AnyEventInput = { kind: 'board', event: { ...input.event, eventId: ack.eventId } };
            produced.push({ input: copy, partition: ack.partition, offset: ack.offset });
          }
        }
      }
    },

    /**
     * Produces one at a time with the given Kafka timestamps (log time, which DEDUP_WINDOW measures);
     * the world must keep producer timestamps.
     */
    async produceStamped(items: readonly { input: AnyEventInput; timestamp: number }[]): Promise<void> {
      for (const { input, timestamp } of items) {
        const [encoded] = await events.encode([input]);
        if (!encoded) throw new Error('nothing encoded');
        const [ack] = await producer.send({
          topic: env.eventsTopic,
          acks: -1,
          messages: [
            { key: encoded.key, value: encoded.value, partition: encoded.partition, timestamp: String(timestamp) },
          ],
        });
        produced.push({ input, partition: encoded.partition, offset: Number(ack?.baseOffset), timestamp });
      }
    },

    async startProjector(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
      const proc = await startService(
        'score-projector',
        {
          ...env.env,
          PROJECTOR_GROUP_ID: groupId,
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          REDIS_CHECK_INTERVAL_MS: '1000',
          // The test streams are dated in the past, and the checks compare every instance in Redis;
          // keep-periods.test.ts runs with the default.
          REDIS_KEEP_PERIODS: '0',
          ...extraEnv,
        },
        { port: await freePort(), readyTimeoutMs: 60_000 },
      );
      running.add(proc);
      proc.child.once('exit', () => running.delete(proc));
      return proc;
    },

    waitForProjection: (timeoutMs?: number) => waitForProjection(env, { db, redis, admin }, timeoutMs),

    /** Runs `npm run replay` (tools' replay.js) against this world; resolves with its output. */
    replay: (...args: string[]) =>
      promisify(execFile)(process.execPath, [REPLAY, ...args], {
        env: { ...process.env, ...env.env, PROJECTOR_GROUP_ID: groupId },
      }),

    expectPostgresEqualsOracle,

    /** Then: PostgreSQL totals, player counts and profiles, and Redis sorted sets, versions and profiles equal the oracle. */
    async expectProjectionEqualsOracle(windowSeconds: number | null = null): Promise<void> {
      const expected = await expectPostgresEqualsOracle(windowSeconds);
      const boards = expectedBoards(expected.totals, orders, compareEntries, tieOrders);
      expect(await redisBoards(redis, env.redisPrefix, orders, tieOrders)).toEqual(boards);
      // Tombstones (`<version>|`, a removed total) are checked where a test removes entries.
      const versions = new Map(
        [...(await redisVersions(redis, env.redisPrefix))]
          .map(
            ([instance, hash]) =>
              [instance, Object.fromEntries(Object.entries(hash).filter(([, v]) => !v.endsWith('|')))] as const,
          )
          .filter(([, hash]) => Object.keys(hash).length > 0),
      );
      expect([...versions.keys()].sort()).toEqual([...boards.keys()].sort());
      for (const [id, t] of expected.totals) {
        const [board, periodKey, userId = ''] = id.split('/');
        const tieKey = toTieKey(tieOrders.get(board ?? '') ?? [], t.tiebreaks);
        const member = `${tieKey}${String(t.reachedAt).padStart(13, '0')}:${userId}`;
        const details = t.details === undefined ? '' : `|${t.details}`;
        expect(versions.get(`${board}:${periodKey}`)?.[userId]).toBe(`${t.version}|${member}${details}`);
      }
      expect(await redisProfiles(redis, env.redisPrefix)).toEqual(expected.profiles);
    },

    /**
     * The projection tests' common course: the projector SIGKILLed after the first half of `stream`,
     * the second half delivered twice, then PostgreSQL and Redis equal to the oracle; `more` runs
     * its own checks on that projection; then a replay from the start of the log, equal again.
     */
    async expectOnceThroughCrashAndReplay(stream: readonly AnyEventInput[], more?: () => Promise<void>): Promise<void> {
      const half = Math.floor(stream.length / 2);
      let projector = await this.startProjector();
      await this.produce(stream.slice(0, half));
      await projector.stop('SIGKILL');
      projector = await this.startProjector();
      await this.produce(stream.slice(half));
      await this.produce(stream.slice(half));
      await this.waitForProjection();
      await this.expectProjectionEqualsOracle();
      await more?.();
      await projector.stop('SIGTERM');
      await this.replay('--from-start');
      projector = await this.startProjector();
      await this.waitForProjection();
      await this.expectProjectionEqualsOracle();
      await projector.stop('SIGTERM');
    },

    /** Kills every projector still running, so that a failed test leaves none to the next. */
    async stopProjectors(): Promise<void> {
      await Promise.all([...running].map((p) => p.stop('SIGKILL')));
    },

    async close(): Promise<void> {
      await this.stopProjectors();
      await producer.disconnect();
      await admin.disconnect();
      redis.disconnect();
      await db.end();
      await env.cleanup();
    },
  };
}

export type ProjectorWorld = Awaited<ReturnType<typeof createProjectorWorld>>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
