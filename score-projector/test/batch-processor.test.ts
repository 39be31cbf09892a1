import { createEventCodec, REDIS_LAYOUT, redisKeys, type ScoreEventInput, scoreEventSchema } from '@rankstream/schemas';
import type { Redis } from '@rankstream/schemas/runtime';
import { createLogger, createPool, Registry } from '@rankstream/schemas/runtime';
import { connectTestRedis, createTestEnv, type TestEnv, testKafka } from '@rankstream/tools/testing';
import type { Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeadLetterPublisher } from '../src/adapters/kafka-dead-letters.js';
import { createPostgresStore } from '../src/adapters/postgres-store.js';
import { createRedisStore, type RedisStore } from '../src/adapters/redis-store.js';
import { createRegistryProbe } from '../src/adapters/registry-probe.js';
import { type BatchProcessor, createBatchProcessor, type IncomingBatch } from '../src/batch-processor.js';
import { createEventLedger } from '../src/event-ledger.js';
import { createLogEnds, type LogEnds } from '../src/log-ends.js';
import { createProjectorMetrics } from '../src/projector-metrics.js';
import { createRedisSync, type RedisSync } from '../src/redis-sync.js';
import { createTotalsCache } from '../src/totals-cache.js';
import { expectedPeriodCounts, oracle, type ProducedAt } from './oracle.js';
import { postgresPeriodCounts, postgresRankBuckets, postgresTotals, recountedRankBuckets } from './projection-state.js';

const T0 = Date.UTC(2026, 10, 23, 12);
const logger = createLogger('test', 'silent');

/**
 * The batch path in-process, against the real PostgreSQL, Redis, registry and (for dead letters)
 * Kafka: given / when (a batch, perhaps twice, perhaps by two instances at once) / then the totals.
 */
describe('batch processor', () => {
  let env: TestEnv;
  let pool: ReturnType<typeof createPool>;
  let redis: Redis;
  let producer: Producer;
  let codec: ReturnType<typeof createEventCodec>;
  let partition = 0;

  beforeAll(async () => {
    env = await createTestEnv({ name: 'proj_batch', partitions: 1 });
    pool = createPool(env.databaseUrl, 6, logger);
    redis = connectTestRedis(env.redisUrl);
    producer = testKafka(env.kafkaBrokers).producer();
    await producer.connect();
    codec = createEventCodec({ registryUrl: env.registryUrl, topic: env.eventsTopic });
  });
  afterAll(async () => {
    await producer?.disconnect();
    redis?.disconnect();
    await pool?.end();
    await env?.cleanup();
  });
  beforeEach(() => {
    partition++; // each test works on its own partition number, so checkpoints never collide
  });
  afterEach(async () => {
    // Whatever a test delivered twice or from two instances at once, each board and period key
    // counts its distinct users exactly once.
    expect(await postgresPeriodCounts(pool)).toEqual(expectedPeriodCounts(await postgresTotals(pool)));
    expect(await postgresRankBuckets(pool)).toEqual(await recountedRankBuckets(pool));
  });

  function processor(
    options: {
      redisStore?: RedisStore;
      logEnds?: LogEnds;
      /** Where Kafka says the partition's log starts and ends now (default: it ends past every batch). */
      logOffsets?: { start: number; end: number };
      /** DEDUP_WINDOW in seconds (default forever). */
      windowSeconds?: number;
    } = {},
  ): {
    processor: BatchProcessor;
    sync: RedisSync;
    registry: Registry;
  } {
    const postgres = createPostgresStore(pool, env.eventsTopic);
    const redisStore = options.redisStore ?? createRedisStore(redis, env.redisPrefix);
    const registry = new Registry();
    const metrics = createProjectorMetrics(registry);
    const sync = createRedisSync({
      postgres,
      redis: redisStore,
      metrics,
      logger,
      intervalMs: 60_000,
      assignedPartitions: () => [partition],
    });
    return {
      sync,
      registry,
      processor: createBatchProcessor({
        codec,
        registry: createRegistryProbe(env.registryUrl, env.eventsTopic),
        store: postgres,
        redis: redisStore,
        redisState: sync.state,
        deadLetters: createDeadLetterPublisher(producer, env.dlqTopic),
        totalsCache: createTotalsCache(10_000),
        // One shard: every test's events meet in one ledger, whatever partition number the test uses.
        ledger: createEventLedger({ shards: 1, windowSeconds: options.windowSeconds ?? null }),
        logEnds: options.logEnds ?? createLogEnds(),
        logOffsets: async () => options.logOffsets ?? { start: 0, end: Number.MAX_SAFE_INTEGER },
        metrics,
        logger,
      }),
    };
  }

  const event = (eventId: string, userId: string, value: number, extra: Partial<ScoreEventInput> = {}) =>
    scoreEventSchema.parse({ eventId, userId, value, occurredAt: T0 + value, board: 'global', ...extra });

  async function batchOf(firstOffset: number, events: ReturnType<typeof event>[]): Promise<IncomingBatch> {
    const messages = await Promise.all(
      events.map(async (e, i) => ({
        offset: firstOffset + i,
        timestamp: T0,
        key: Buffer.from(e.userId),
        value: await codec.encodeScore(e),
      })),
    );
    return {
      topic: env.eventsTopic,
      partition,
      fetchedOffset: firstOffset,
      lastOffset: firstOffset + events.length - 1,
      highWatermark: firstOffset + events.length,
      messages,
    };
  }

  const producedOf = (firstOffset: number, events: ReturnType<typeof event>[]): ProducedAt[] =>
    events.map((e, i) => ({ input: { kind: 'score', event: e }, partition, offset: firstOffset + i }));

  async function totalsOf(userPrefix: string) {
    const all = await postgresTotals(pool);
    return new Map([...all].filter(([k]) => k.split('/')[2]?.startsWith(userPrefix)));
  }

  it('applies a batch once when it is delivered twice (a crash between the PostgreSQL and the Kafka commit)', async () => {
    const events = [event('a1', 'a-u1', 5), event('a2', 'a-u2', 7), event('a3', 'a-u1', 2, { op: 'max' })];
    const batch = await batchOf(0, events);
    const { processor: p } = processor();

    expect(await p.process(batch)).toEqual({ kind: 'committed', nextOffset: 3, applied: 3 });
    expect(await p.process(batch)).toEqual({ kind: 'committed', nextOffset: 3, applied: 0 });

    expect(await totalsOf('a-')).toEqual(oracle(producedOf(0, events)).totals);
  });

  it('applies nothing twice when the same eventIds come back at later offsets (client or producer retries)', async () => {
    const first = [event('b1', 'b-u1', 5), event('b2', 'b-u1', 7)];
    const retried = [event('b2', 'b-u1', 7), event('b1', 'b-u1', 5), event('b3', 'b-u1', 1)];
    const { processor: p, registry } = processor();

    await p.process(await batchOf(0, first));
    expect(await p.process(await batchOf(2, retried))).toEqual({ kind: 'committed', nextOffset: 5, applied: 1 });

    expect(await totalsOf('b-')).toEqual(oracle([...producedOf(0, first), ...producedOf(2, retried)]).totals);
    expect(await totalsOf('b-')).toEqual(
      new Map([['global/all/b-u1', { score: 13, reachedAt: T0 + 1, eventCount: 3, version: 4 }]]),
    );
    const skipped = await registry.getSingleMetric('rankstream_projector_events_skipped_total')?.get();
    expect(skipped?.values).toEqual([{ labels: { reason: 'duplicate' }, value: 2 }]);
  });

  it('leaves out eventIds that the per-event ledger of earlier versions recorded (an upgraded deployment)', async () => {
    await pool.query(`INSERT INTO processed_events (event_id) VALUES ('g1')`);
    const events = [event('g1', 'g-u1', 5), event('g2', 'g-u1', 7)];
    const { processor: p } = processor();

    expect(await p.process(await batchOf(0, events))).toEqual({ kind: 'committed', nextOffset: 2, applied: 1 });

    expect(await totalsOf('g-')).toEqual(
      new Map([['global/all/g-u1', { score: 7, reachedAt: T0 + 7, eventCount: 1, version: 1 }]]),
    );
  });

  it('applies a batch once when two instances process it at the same moment (a zombie during a rebalance)', async () => {
    const events = Array.from({ length: 200 }, (_, i) =>
      event(`c${i}`, `c-u${i % 17}`, i, { op: i % 3 ? 'add' : 'max' }),
    );
    const batch = await batchOf(0, events);
    const one = processor().processor;
    const two = processor().processor;

    const outcomes = await Promise.all([one.process(batch), two.process(batch)]);

    expect(outcomes.map((o) => (o.kind === 'committed' ? o.applied : -1)).sort((a, b) => a - b)).toEqual([0, 200]);
    expect(await totalsOf('c-')).toEqual(oracle(producedOf(0, events)).totals);
  });

  it('folds over the stored totals, not its cached ones, after another instance moved the partition', async () => {
    const first = [event('f1', 'f-u1', 5), event('f2', 'f-u2', 1)];
    const second = [event('f3', 'f-u1', 10, { op: 'max' }), event('f4', 'f-u2', 4)];
    const third = [event('f5', 'f-u1', 2), event('f6', 'f-u2', 3, { op: 'set' })];
    const one = processor().processor;
    const two = processor().processor;

    await one.process(await batchOf(0, first));
    await two.process(await batchOf(2, second)); // a rebalance gave the partition to another instance
    await one.process(await batchOf(4, third)); // and back: this instance's cache describes offset 2

    const produced = [...producedOf(0, first), ...producedOf(2, second), ...producedOf(4, third)];
    expect(await totalsOf('f-')).toEqual(oracle(produced).totals);
    expect(await totalsOf('f-')).toEqual(
      new Map([
        ['global/all/f-u1', { score: 12, reachedAt: T0 + 2, eventCount: 3, version: 4 }],
        ['global/all/f-u2', { score: 3, reachedAt: T0 + 3, eventCount: 3, version: 5 }],
      ]),
    );
  });

  it('takes a fetch from before another instance moved the partition on for a redelivery, not for a new log', async () => {
    const events = [event('s1', 's-u1', 1), event('s2', 's-u1', 2), event('s3', 's-u2', 3), event('s4', 's-u2', 4)];
    const now = processor({ logOffsets: { start: 0, end: 4 } });
    await now.processor.process(await batchOf(0, events));

    // a zombie's fetch of the first two, whose high watermark (2) predates the checkpoint (4)
    expect(await now.processor.process(await batchOf(0, events.slice(0, 2)))).toEqual({
      kind: 'committed',
      nextOffset: 4,
      applied: 0,
    });

    expect(await totalsOf('s-')).toEqual(oracle(producedOf(0, events)).totals);
    const restarts = await now.registry.getSingleMetric('rankstream_projector_log_restarts_total')?.get();
    expect(restarts?.values[0]?.value ?? 0).toBe(0);
  });

  it('projects a log that ends before the checkpoint (topic recreated) from its start, each eventId once', async () => {
    const old = [event('r1', 'r-u1', 1), event('r2', 'r-u1', 2), event('r3', 'r-u2', 3), event('r4', 'r-u2', 4)];
    await processor().processor.process(await batchOf(0, old));
    await redis.mset(redisKeys(env.redisPrefix).ready, '1', redisKeys(env.redisPrefix).layout, REDIS_LAYOUT);

    // the new log holds a retry of r1 (already counted) and one new event, at offsets 0 and 1
    const fresh = [event('r1', 'r-u1', 1), event('r9', 'r-u2', 90)];
    const replaced = processor({ logOffsets: { start: 0, end: 2 } });
    expect(await replaced.processor.process(await batchOf(0, fresh))).toEqual({
      kind: 'committed',
      nextOffset: 2,
      applied: 1,
    });

    const scores = new Map([...(await totalsOf('r-'))].map(([k, t]) => [k, t.score]));
    expect(scores).toEqual(
      new Map([
        ['global/all/r-u1', 3],
        ['global/all/r-u2', 97],
      ]),
    );
    const { rows } = await pool.query(
      'SELECT next_offset, log_end_offset FROM projector_offsets WHERE topic = $1 AND partition = $2',
      [env.eventsTopic, partition],
    );
    expect(rows.map((r) => [Number(r.next_offset), Number(r.log_end_offset)])).toEqual([[2, 2]]);
    const restarts = await replaced.registry.getSingleMetric('rankstream_projector_log_restarts_total')?.get();
    expect(restarts?.values[0]?.value).toBe(1);
    // Redis's watermark describes the old log: readers stop trusting Redis at once, and the next
    // check rebuilds it from scratch with the new log's watermark
    const wm = () => redis.hget(redisKeys(env.redisPrefix).watermarks, String(partition));
    expect(await redis.exists(redisKeys(env.redisPrefix).ready)).toBe(0);
    expect(await wm()).toBe('4');
    await replaced.sync.checkNow();
    expect(await redis.exists(redisKeys(env.redisPrefix).ready)).toBe(1);
    expect(await wm()).toBe('2');
  });

  it('rebuilds from scratch a Redis whose watermark is past the checkpoint (a crash before a restarted log discarded it)', async () => {
    const { processor: p, sync, registry } = processor();
    await p.process(await batchOf(0, [event('w1', 'w-u1', 1), event('w2', 'w-u2', 2)]));
    await redis.hset(redisKeys(env.redisPrefix).watermarks, String(partition), '40');

    await sync.checkNow();

    expect(await redis.hget(redisKeys(env.redisPrefix).watermarks, String(partition))).toBe('2');
    expect(await redis.exists(redisKeys(env.redisPrefix).ready)).toBe(1);
    const rebuilds = await registry.getSingleMetric('rankstream_projector_redis_rebuilds_total')?.get();
    expect(rebuilds?.values).toEqual([{ labels: { reason: 'ahead' }, value: 1 }]);
  });

  it('records with its checkpoint the newest log end the heartbeat saw, not only the fetch high watermark', async () => {
    // The heartbeat skips a checkpoint row a batch holds, so on a busy partition only the batch's
    // write keeps PostgreSQL's log end (and the projection lag derived from it) current.
    const logEnds = createLogEnds();
    logEnds.record(partition, 50);
    const { processor: p } = processor({ logEnds });

    await p.process(await batchOf(0, [event('h1', 'h-u1', 1), event('h2', 'h-u1', 2)]));

    const { rows } = await pool.query(
      'SELECT next_offset, log_end_offset FROM projector_offsets WHERE topic = $1 AND partition = $2',
      [env.eventsTopic, partition],
    );
    expect(rows.map((r) => [Number(r.next_offset), Number(r.log_end_offset)])).toEqual([[2, 50]]);
  });

  it('asks to seek back instead of skipping events when a fetch starts past the checkpoint', async () => {
    const { processor: p } = processor();
    await p.process(await batchOf(0, [event('d1', 'd-u1', 1)]));

    const outcome = await p.process(await batchOf(5, [event('d6', 'd-u1', 1)]));

    expect(outcome).toEqual({ kind: 'gap', seekTo: 1 });
    expect(await totalsOf('d-')).toEqual(
      new Map([['global/all/d-u1', { score: 1, reachedAt: T0 + 1, eventCount: 1, version: 0 }]]),
    );
  });

  it('commits to PostgreSQL when the Redis write fails, and the rebuild then brings Redis level', async () => {
    const real = createRedisStore(redis, env.redisPrefix);
    let redisDown = true;
    const flaky: RedisStore = {
      ...real,
      apply: async (write) => {
        if (redisDown) throw new Error('Redis unreachable');
        return real.apply(write);
      },
    };
    const { processor: p, sync } = processor({ redisStore: flaky });
    const events = [event('e1', 'e-u1', 3), event('e2', 'e-u2', 9)];

    expect(await p.process(await batchOf(0, events))).toEqual({ kind: 'committed', nextOffset: 2, applied: 2 });
    expect(await redis.zrange(redisKeys(env.redisPrefix).leaderboard('global', 'all'), 0, -1)).not.toContain(
      `${T0 + 9}:e-u2`,
    );

    redisDown = false;
    await sync.checkNow();

    expect(await redis.zrange(redisKeys(env.redisPrefix).leaderboard('global', 'all'), 0, -1)).toContain(
      `${T0 + 9}:e-u2`,
    );
    expect(await redis.hget(redisKeys(env.redisPrefix).watermarks, String(partition))).toBe('2');
  });
});
