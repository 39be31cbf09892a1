import { MAX_ABS_VALUE, MIN_OCCURRED_AT } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header, readDeadLetters } from './dead-letter-reader.js';
import { counterValue } from './metrics-scrape.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';
import { randomStream } from './random-stream.js';

const T = MIN_OCCURRED_AT + 1_000_000;

describe('poison messages in the middle of a stream', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_dlq', 2);
  });
  afterAll(async () => world?.close());

  it('sends each to the dead-letter topic with its reason and origin, and applies everything around it', async () => {
    // given events before and after a run of messages that can never be applied
    const projector = await world.startProjector();
    await world.produce(randomStream(5, 300, 20));
    const raw = async (key: string, value: Buffer) => {
      const [meta] = await world.producer.send({ topic: world.env.eventsTopic, acks: -1, messages: [{ key, value }] });
      return { partition: meta?.partition, offset: Number(meta?.baseOffset) };
    };
    const registered = await world.codec.register();
    const unknownId = Buffer.alloc(9);
    unknownId.writeInt32BE(2_000_000_000, 1);
    const valid = (userId: string) => ({
      eventId: `ok-${userId}`,
      userId,
      board: 'global',
      op: 'add' as const,
      value: 1,
      occurredAt: T,
      periods: [],
      source: null,
      metadata: null,
      limits: null,
      calendar: null,
      tiebreaks: [],
      region: null,
    });
    const poison = [
      { reason: 'not_wire_format', at: await raw('user-1', Buffer.from('definitely not avro')) },
      { reason: 'unknown_schema', at: await raw('user-1', unknownId) },
      {
        reason: 'invalid_event',
        // Valid Avro, but the contract refuses a userId with a space.
        at: await raw('bad user', await world.codec.encodeScore({ ...valid('bad user'), eventId: 'invalid-1' })),
      },
      { reason: 'key_mismatch', at: await raw('user-2', await world.codec.encodeScore(valid('user-3'))) },
    ];
    expect(registered.score).toBeGreaterThan(0);

    // an overflow: a set to the maximum, then an add that would pass it (applied to none of its totals)
    await world.produce([
      {
        kind: 'score',
        event: { ...valid('overflow-user'), eventId: 'max', op: 'set', value: MAX_ABS_VALUE, periods: ['daily'] },
      },
    ]);
    await world.produce([
      { kind: 'score', event: { ...valid('overflow-user'), eventId: 'over', value: 1, periods: ['daily'] } },
    ]);
    const over = world.produced.pop();
    poison.push({ reason: 'overflow', at: { partition: over?.partition, offset: over?.offset ?? -1 } });
    await world.produce(randomStream(6, 300, 20));

    // when the projector has caught up
    await world.waitForProjection();

    // then each one is in the dead-letter topic once, with its reason, origin and the original bytes
    const letters = await readDeadLetters(world, poison.length);
    const seen = letters.map((m) => ({
      reason: header(m.headers, 'reason'),
      at: {
        partition: Number(header(m.headers, 'original-partition')),
        offset: Number(header(m.headers, 'original-offset')),
      },
      topic: header(m.headers, 'original-topic'),
    }));
    expect(seen.sort((a, b) => a.at.partition - b.at.partition || a.at.offset - b.at.offset)).toEqual(
      poison
        .map((p) => ({ ...p, topic: world.env.eventsTopic }))
        .sort((a, b) => (a.at.partition ?? 0) - (b.at.partition ?? 0) || a.at.offset - b.at.offset),
    );
    const garbage = letters.find((m) => header(m.headers, 'reason') === 'not_wire_format');
    expect(garbage?.value?.toString()).toBe('definitely not avro');
    expect(
      JSON.parse(
        header(letters.find((m) => header(m.headers, 'reason') === 'invalid_event')?.headers, 'error') ?? '{}',
      ),
    ).toMatchObject({ details: [{ path: 'userId' }] });
    expect(await counterValue(projector.url, 'rankstream_projector_dead_lettered_total')).toBe(poison.length);

    // and everything else is applied exactly once: the overflowing add left overflow-user at the maximum
    await world.expectProjectionEqualsOracle();
    const { rows } = await world.db.query(
      `SELECT period_key, score FROM totals WHERE user_id = 'overflow-user' ORDER BY 1`,
    );
    expect(rows).toEqual([
      { period_key: 'all', score: MAX_ABS_VALUE },
      { period_key: 'daily:2000-01-01', score: MAX_ABS_VALUE },
    ]);
  });
});

describe('an unknown schema id while the registry does not know the events subjects', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_noreg', 1);
  });
  afterAll(async () => world?.close());

  it('is not dead-lettered (a wiped registry would drop the whole log) until the registry knows them', async () => {
    // given a registry that has never seen this topic's subjects, and a message with an unknown id
    const projector = await world.startProjector({ PROJECTOR_BATCH_RETRIES: '2' });
    const unknownId = Buffer.alloc(9);
    unknownId.writeInt32BE(2_000_000_001, 1);
    await world.producer.send({ topic: world.env.eventsTopic, acks: -1, messages: [{ key: 'u', value: unknownId }] });

    // then nothing advances and nothing is dead-lettered
    await sleep(4_000);
    const { rows } = await world.db.query('SELECT next_offset FROM projector_offsets');
    expect(rows.every((r) => r.next_offset === 0)).toBe(true);
    expect(await counterValue(projector.url, 'rankstream_projector_dead_lettered_total')).toBe(0);

    // when the subjects are registered, the id is known to be foreign: dead-lettered, offset advances
    await world.codec.register();
    await world.waitForProjection(60_000);
    expect(await counterValue(projector.url, 'rankstream_projector_dead_lettered_total', 'unknown_schema')).toBe(1);
  });
});
