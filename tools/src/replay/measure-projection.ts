import { parseArgs } from 'node:util';
import { freePort, startService } from '../testing/index.js';
import { waitForCatchUp } from './projection-progress.js';
import { withSeededWorld } from './seeded-world.js';

export interface ProjectionMeasurement {
  events: number;
  seedSeconds: number;
  seedEventsPerSecond: number;
  /** From the projector's start (group join included) until PostgreSQL reached the log end. */
  postgresSeconds: number;
  postgresEventsPerSecond: number;
  /** Until Redis was complete too. */
  totalSeconds: number;
  eventsPerSecond: number;
}

/**
 * Measures the projector on this machine: seeds a backlog into an isolated world (its own topic,
 * database and Redis prefix on the running services), starts the built projector process, and times
 * how long it takes to project all of it. For `npm run bench` and BENCHMARKS.md.
 */
export async function measureProjection(options: {
  events: number;
  users: number;
  partitions?: number;
  boards?: string;
  projectorEnv?: Record<string, string>;
  log?: (line: string) => void;
  /** Receives everything the projector printed (its JSON log lines), e.g. to study batch timings. */
  projectorOutput?: (text: string) => void;
}): Promise<ProjectionMeasurement> {
  const log = options.log ?? (() => {});
  const world = {
    name: 'measure',
    partitions: options.partitions ?? 6,
    events: options.events,
    users: options.users,
    ...(options.boards ? { boards: options.boards } : {}),
  };
  return withSeededWorld(world, async ({ env, db, redis, admin, seeded }) => {
    log(`seeded ${options.events} events in ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.eventsPerSecond)}/s)`);

    const started = performance.now();
    const projector = await startService(
      'score-projector',
      { ...env.env, PROJECTOR_GROUP_ID: `measure-${env.id}`, ...options.projectorEnv },
      { port: await freePort(), readyTimeoutMs: 60_000 },
    );
    try {
      await waitForCatchUp({
        admin,
        db,
        topic: env.eventsTopic,
        onProgress: (n, s) => log(`  ${n} events in PostgreSQL after ${s.toFixed(1)} s`),
      });
      const postgresSeconds = (performance.now() - started) / 1000;
      await waitForCatchUp({ admin, db, topic: env.eventsTopic, redis, redisPrefix: env.redisPrefix });
      const totalSeconds = (performance.now() - started) / 1000;
      return {
        events: options.events,
        seedSeconds: seeded.seconds,
        seedEventsPerSecond: seeded.eventsPerSecond,
        postgresSeconds,
        postgresEventsPerSecond: options.events / postgresSeconds,
        totalSeconds,
        eventsPerSecond: options.events / totalSeconds,
      };
    } finally {
      await projector.stop('SIGTERM');
      options.projectorOutput?.(projector.output());
    }
  });
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '500000' },
      users: { type: 'string', default: '100000' },
      partitions: { type: 'string', default: '6' },
      concurrency: { type: 'string' },
    },
  });
  const m = await measureProjection({
    events: Number(values.events),
    users: Number(values.users),
    partitions: Number(values.partitions),
    projectorEnv: values.concurrency ? { PROJECTOR_CONCURRENCY: values.concurrency } : {},
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(m, null, 2));
  console.log(
    `projection: ${Math.round(m.eventsPerSecond).toLocaleString('en')} events/s into PostgreSQL + Redis ` +
      `(${Math.round(m.postgresEventsPerSecond).toLocaleString('en')} events/s until PostgreSQL was complete)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  cli().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
