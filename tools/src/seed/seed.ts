import { parseArgs } from 'node:util';
import { avroTypeOptions, createEventCodec, profileEventAvsc, scoreEventAvsc } from '@rankstream/schemas';
import {
  createKafka,
  createLogger,
  dlqTopic,
  ensureTopics,
  kafkaEnv,
  migrate,
  parseEnv,
  postgresEnv,
  registryEnv,
} from '@rankstream/schemas/runtime';
import avro from 'avsc';
import { CompressionTypes, type Message, Partitioners } from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import { parseBoards, profileEvent, type SeedBoard, scoreEvent, seededRandom } from './seed-stream.js';

export interface SeedOptions {
  users: number;
  events: number;
  boards: SeedBoard[];
  seed: number;
  /** Events per produce request. */
  batch: number;
  /** Produce requests in flight at once. */
  inFlight: number;
  /** Skip the profile event per user. */
  noProfiles?: boolean;
  onProgress?: (sent: number, seconds: number) => void;
}

export interface SeedResult {
  profiles: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

const seedEnv = {
  ...kafkaEnv,
  ...registryEnv,
  ...postgresEnv,
  EVENTS_PARTITIONS: z.coerce.number().int().positive().default(6),
  LOG_LEVEL: z.string().default('warn'),
};
export type SeedEnv = ReturnType<typeof loadSeedEnv>;
export function loadSeedEnv(env: NodeJS.ProcessEnv) {
  return parseEnv(seedEnv, env);
}

/** Confluent wire format: magic 0, the 4-byte schema id, then the Avro body. */
function framed(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeInt32BE(schemaId, 1);
  body.copy(out, 5);
  return out;
}

/**
 * Writes `users` profile events and `events` score events straight to the events topic. The schema
 * ids come from the registry once; every event is then encoded locally with the same Avro types the
 * codec uses, so the registry is not on the hot path. Keys are userIds (Kafka's murmur2 partitioner),
 * acks=all, an idempotent producer. Boards with a non-default order are defined in PostgreSQL first,
 * since a board's order is fixed by whoever creates it.
 */
export async function seed(env: SeedEnv, options: SeedOptions): Promise<SeedResult> {
  const logger = createLogger('seed', env.LOG_LEVEL);
  // The boards table must exist to define boards; migrating is idempotent and locked.
  await migrate(env.DATABASE_URL, logger);
  await defineBoards(env.DATABASE_URL, options.boards);
  const kafka = createKafka(env, 'rankstream-seed', logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, {
    eventsTopic: env.EVENTS_TOPIC,
    dlqTopic: dlqTopic(env),
    partitions: env.EVENTS_PARTITIONS,
  });
  await admin.disconnect();
  const ids = await createEventCodec({ registryUrl: env.SCHEMA_REGISTRY_URL, topic: env.EVENTS_TOPIC }).register();
  const scoreType = avro.Type.forSchema(scoreEventAvsc as avro.Schema, avroTypeOptions);
  const profileType = avro.Type.forSchema(profileEventAvsc as avro.Schema, avroTypeOptions);

  // Kafka's murmur2 partitioner, as schemas' producer helper uses: a user's events share a partition.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const rnd = seededRandom(options.seed);
  const run = `seed${options.seed}`;
  const now = Date.now();
  const profiles = options.noProfiles ? 0 : options.users;
  const total = profiles + options.events;
  const started = performance.now();
  let sent = 0;
  let next = 0;
  let lastReport = started;

  function nextBatch(): Message[] {
    const messages: Message[] = [];
    while (messages.length < options.batch && next < total) {
      const i = next++;
      if (i < profiles) {
        const e = profileEvent(run, i, now);
        messages.push({ key: e.userId, value: framed(ids.profile, profileType.toBuffer(e)) });
      } else {
        const e = scoreEvent(run, i - profiles, rnd, {
          users: options.users,
          boards: options.boards,
          now,
          spanMs: 30 * 86_400_000,
        });
        messages.push({ key: e.userId, value: framed(ids.score, scoreType.toBuffer(e)) });
      }
    }
    return messages;
  }

  async function worker(): Promise<void> {
    for (;;) {
      const messages = nextBatch();
      if (messages.length === 0) return;
      await producer.send({ topic: env.EVENTS_TOPIC, acks: -1, compression: CompressionTypes.None, messages });
      sent += messages.length;
      const t = performance.now();
      if (options.onProgress && t - lastReport > 2_000) {
        lastReport = t;
        options.onProgress(sent, (t - started) / 1000);
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: options.inFlight }, worker));
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  return { profiles, events: options.events, seconds, eventsPerSecond: total / seconds };
}

async function defineBoards(databaseUrl: string, boards: readonly SeedBoard[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const b of boards) {
      const defaultOp = b.op === 'max' || b.op === 'min' ? 'best' : b.op;
      const { rows } = await client.query(
        `INSERT INTO boards (board, sort_order, default_op, periods) VALUES ($1, $2, $3, $4)
         ON CONFLICT (board) DO UPDATE SET board = excluded.board RETURNING sort_order`,
        [b.board, b.order, defaultOp, b.periods],
      );
      if (rows[0]?.sort_order !== b.order) {
        throw new Error(`board ${b.board} already exists with order ${rows[0]?.sort_order}, not ${b.order}`);
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * The board mix seeded unless told otherwise, and the one every projection measurement uses: an
 * all-time board, an ascending `min` board with daily and weekly periods, and a weekly `add` board
 * (about 1.75 totals per event).
 */
export const DEFAULT_SEED_BOARDS = 'global,speedrun:asc:min:daily+weekly,weekly-kills:desc:add:weekly';

const USAGE = `npm run seed -- [--users 1000000] [--events 5000000] [--boards global,speedrun:asc:min:daily+weekly]
                   [--seed 1] [--batch 5000] [--in-flight 4] [--no-profiles]
Writes one profile event per user and the score events straight to Kafka (EVENTS_TOPIC), through the
registry's schema ids. Reads KAFKA_*, SCHEMA_REGISTRY_URL, DATABASE_URL, EVENTS_TOPIC, EVENTS_PARTITIONS.`;

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '1000000' },
      events: { type: 'string', default: '5000000' },
      boards: { type: 'string', default: DEFAULT_SEED_BOARDS },
      seed: { type: 'string', default: '1' },
      batch: { type: 'string', default: '5000' },
      'in-flight': { type: 'string', default: '4' },
      'no-profiles': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = loadSeedEnv(process.env);
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const result = await seed(env, {
    users: int('users', values.users),
    events: int('events', values.events),
    boards: parseBoards(values.boards),
    seed: int('seed', values.seed),
    batch: Math.max(1, int('batch', values.batch)),
    inFlight: Math.max(1, int('in-flight', values['in-flight'])),
    noProfiles: values['no-profiles'],
    onProgress: (sent, s) => console.log(`  ${sent.toLocaleString('en')} events in ${s.toFixed(1)} s`),
  });
  console.log(
    `seeded ${result.profiles.toLocaleString('en')} profiles + ${result.events.toLocaleString('en')} score events ` +
      `to ${env.EVENTS_TOPIC} in ${result.seconds.toFixed(1)} s: ${Math.round(result.eventsPerSecond).toLocaleString('en')} events/s`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  cli().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
