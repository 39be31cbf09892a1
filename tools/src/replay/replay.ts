import { parseArgs } from 'node:util';
import {
  createKafka,
  createLogger,
  createRedis,
  kafkaEnv,
  parseEnv,
  postgresEnv,
  redisEnv,
  redisReady,
  unlinkMatching,
} from '@rankstream/schemas/runtime';
import pg from 'pg';
import { z } from 'zod';
import { waitForCatchUp } from './projection-progress.js';

const replayEnv = {
  ...kafkaEnv,
  ...postgresEnv,
  ...redisEnv,
  PROJECTOR_GROUP_ID: z.string().min(1).default('score-projector'),
  LOG_LEVEL: z.string().default('warn'),
};

const USAGE = `npm run replay -- --from-start [--force] [--wait]
npm run replay -- --redis-only [--wait]

--from-start  Empties the projections (totals, player counts, processed eventIds, profiles, checkpoints; boards are
              kept), resets the projector group's Kafka offsets to the start of the log and clears the
              Redis prefix. The projector then rebuilds everything from the log. Requires the projector
              group to have no running members (stop the projectors first) unless --force is given;
              with --force a running projector notices the missing checkpoints and starts over itself.
--redis-only  Clears the Redis prefix; the projector notices within seconds (or on start) and rebuilds
              Redis from PostgreSQL, without stopping consumption.
--wait        Then waits for the projection to be complete and prints the rate.
Reads KAFKA_*, DATABASE_URL, REDIS_URL, REDIS_PREFIX, EVENTS_TOPIC, PROJECTOR_GROUP_ID.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'from-start': { type: 'boolean', default: false },
      'redis-only': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values['from-start'] === values['redis-only']) {
    console.log(USAGE);
    if (!values.help) process.exit(2);
    return;
  }
  const env = parseEnv(replayEnv, process.env);
  const logger = createLogger('replay', env.LOG_LEVEL);
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const redis = createRedis(env, logger);
  await redisReady(redis, 10_000);
  const admin = createKafka(env, 'rankstream-replay', logger).admin();
  await admin.connect();
  try {
    if (values['from-start']) {
      const { groups } = await admin.describeGroups([env.PROJECTOR_GROUP_ID]);
      const members = groups[0]?.members.length ?? 0;
      if (members > 0 && !values.force) {
        throw new Error(
          `group ${env.PROJECTOR_GROUP_ID} has ${members} running member(s): stop the projectors first (or --force)`,
        );
      }
      // One statement: a projector batch waits on the lock and then finds an empty projection.
      // projector_offsets first: TRUNCATE locks in list order, and a running batch (--force) holds its
      // checkpoint rows before it touches totals, so locking totals first could deadlock with it.
      await db.query(
        'TRUNCATE projector_offsets, event_ledger, totals, period_counts, rank_bucket_counts, rank_group_counts, ' +
          'partition_board_changes, player_regions, ' +
          'processed_events, profiles, user_bans, admin_audit, player_minute_counts, player_minute_marks, removed_totals',
      );
      if (members === 0) {
        await admin.resetOffsets({ groupId: env.PROJECTOR_GROUP_ID, topic: env.EVENTS_TOPIC, earliest: true });
      }
      const deleted = await unlinkMatching(redis, `${env.REDIS_PREFIX}*`);
      console.log(
        `projections emptied (PostgreSQL tables, ${deleted} Redis keys), group ${env.PROJECTOR_GROUP_ID} rewound: ` +
          'the projector replays the log from the start',
      );
    } else {
      const deleted = await unlinkMatching(redis, `${env.REDIS_PREFIX}*`);
      console.log(
        `cleared ${deleted} Redis keys under ${env.REDIS_PREFIX}: the projector rebuilds them from PostgreSQL`,
      );
    }
    if (values.wait) {
      const result = await waitForCatchUp({
        admin,
        db,
        topic: env.EVENTS_TOPIC,
        redis,
        redisPrefix: env.REDIS_PREFIX,
        onProgress: (n, s) => console.log(`  ${n.toLocaleString('en')} messages projected in ${s.toFixed(1)} s`),
      });
      console.log(
        `projection complete: ${result.messages.toLocaleString('en')} messages in ${result.seconds.toFixed(1)} s ` +
          `(${Math.round(result.messagesPerSecond).toLocaleString('en')} messages/s)`,
      );
    }
  } finally {
    await admin.disconnect();
    redis.disconnect();
    await db.end();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
