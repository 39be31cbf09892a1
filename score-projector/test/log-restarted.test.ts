import type { AnyEventInput } from '@rankstream/schemas';
import { fromProfileValue, fromRedisMember, redisKeys } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { postgresRankBuckets, recountedRankBuckets } from './projection-state.js';
import { createProjectorWorld, type ProjectorWorld, sleep } from './projector-world.js';

const PARTITIONS = 3;

function addEvent(eventId: string, userId: string, value: number): AnyEventInput {
  return {
    kind: 'score',
    event: { eventId, userId, board: 'global', op: 'add', value, occurredAt: Date.UTC(2026, 11, 1), periods: [] },
  };
}

function profileEvent(eventId: string, userId: string, username: string): AnyEventInput {
  return {
    kind: 'profile',
    event: { eventId, userId, username, imageUrl: null, region: null, occurredAt: Date.UTC(2026, 11, 1) },
  };
}

/** Sums per user of the unique events (first eventId wins), the simplest possible oracle. */
function sums(events: readonly AnyEventInput[]): Map<string, number> {
  const seen = new Set<string>();
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.kind !== 'score' || seen.has(e.event.eventId)) continue;
    seen.add(e.event.eventId);
    out.set(e.event.userId, (out.get(e.event.userId) ?? 0) + e.event.value);
  }
  return out;
}

describe('the events topic deleted and created again while PostgreSQL keeps its checkpoints', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    world = await createProjectorWorld('proj_relog', PARTITIONS);
  });
  afterAll(async () => world?.close());

  it('projects the new log from its start: no accepted event lost, none counted twice', async () => {
    // given 600 events projected (about 200 per partition), and the projector stopped
    const old = [
      ...Array.from({ length: 600 }, (_, i) => addEvent(`old-${i}`, `user-${i % 20}`, (i % 7) + 1)),
      profileEvent('old-profile', 'user-1', 'Old Name'),
    ];
    const first = await world.startProjector();
    await world.produce(old);
    await world.waitForProjection();
    await first.stop('SIGTERM');

    // when the topic is deleted and created again, and 91 events go into it: 30 retries of old
    // eventIds (already counted), 60 new ones and a new profile, far fewer per partition than the
    // old checkpoints
    const topic = world.env.eventsTopic;
    await world.admin.deleteTopics({ topics: [topic] });
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await world.admin.createTopics({
          topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
          waitForLeaders: true,
        });
        if (created) break;
      } catch (error) {
        if (attempt > 50) throw error; // the deletion is still going on
      }
      await sleep(200);
    }
    const fresh = [
      ...old.slice(0, 30),
      ...Array.from({ length: 60 }, (_, i) => addEvent(`new-${i}`, `user-${(i * 7) % 25}`, 100 + i)),
      profileEvent('new-profile', 'user-1', 'New Name'),
    ];
    await world.produce(fresh, 10);
    const again = await world.startProjector();

    // then PostgreSQL's checkpoints and log ends, and Redis's watermarks, are the new log's ends, and
    // both stores hold the sums of the unique events of both logs
    const ends = new Map(
      (await world.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)] as const),
    );
    const expected = sums([...old, ...fresh]);
    const deadline = Date.now() + 60_000;
    let state = '';
    for (;;) {
      const { rows: offsets } = await world.db.query<{
        partition: number;
        next_offset: string;
        log_end_offset: string;
      }>('SELECT partition, next_offset, log_end_offset FROM projector_offsets WHERE topic = $1 ORDER BY partition', [
        topic,
      ]);
      const wm = await world.redis.hgetall(redisKeys(world.env.redisPrefix).watermarks);
      const ready = (await world.redis.exists(redisKeys(world.env.redisPrefix).ready)) === 1;
      const caughtUp =
        ready &&
        offsets.length === PARTITIONS &&
        offsets.every(
          (o) =>
            Number(o.next_offset) === ends.get(o.partition) &&
            Number(o.log_end_offset) === ends.get(o.partition) &&
            Number(wm[String(o.partition)]) === ends.get(o.partition),
        );
      if (caughtUp) break;
      state = JSON.stringify({ ends: [...ends], offsets, wm, ready });
      if (Date.now() > deadline) throw new Error(`the new log was not projected: ${state}`);
      await sleep(250);
    }
    const { rows } = await world.db.query<{ user_id: string; score: string }>(
      `SELECT user_id, score FROM totals WHERE board = 'global' AND period_key = 'all'`,
    );
    expect(new Map(rows.map((r) => [r.user_id, Number(r.score)]))).toEqual(expected);
    expect(await postgresRankBuckets(world.db)).toEqual(await recountedRankBuckets(world.db));
    const zset = await world.redis.zrange(
      redisKeys(world.env.redisPrefix).leaderboard('global', 'all'),
      0,
      -1,
      'WITHSCORES',
    );
    const fromRedis = new Map<string, number>();
    for (let i = 0; i < zset.length; i += 2) fromRedis.set(fromRedisMember(zset[i]!).userId, -Number(zset[i + 1]));
    expect(fromRedis).toEqual(expected);
    expect(await counterValue(again.url, 'rankstream_projector_log_restarts_total')).toBe(PARTITIONS);
    // the profile update of the new log wins, at an offset far below the old one's
    const { rows: profiles } = await world.db.query(`SELECT username FROM profiles WHERE user_id = 'user-1'`);
    expect(profiles.map((p) => p.username)).toEqual(['New Name']);
    const inRedis = await world.redis.hget(redisKeys(world.env.redisPrefix).profiles, 'user-1');
    expect(fromProfileValue(inRedis)?.username).toBe('New Name');
  });
});
