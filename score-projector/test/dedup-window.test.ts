import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AnyEventInput } from '@rankstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from './metrics-scrape.js';
import { oracle } from './oracle.js';
import { createProjectorWorld, type ProjectorWorld } from './projector-world.js';

const REPLAY = fileURLToPath(new URL('../../tools/dist/replay/replay.js', import.meta.url));
const HOUR_MS = 3_600_000;
const START = Date.UTC(2026, 11, 1, 0);

const score = (userId: string, eventId: string, value: number): AnyEventInput => ({
  kind: 'score',
  event: { eventId, userId, value, occurredAt: START },
});

/**
 * Retries spread over log time (Kafka timestamps) around a one-hour DEDUP_WINDOW: within it a retry
 * never counts, past it the retry counts again. Given that log, projected live with a crash midway
 * and then replayed from the start with other batch sizes, then both runs equal the same oracle.
 */
describe('DEDUP_WINDOW', () => {
  let world: ProjectorWorld;
  beforeAll(async () => {
    // The topic keeps producer timestamps so that the test can place events in log time.
    world = await createProjectorWorld('proj_window', 2, { producerTimestamps: true });
  });
  afterAll(async () => world?.close());

  const log = (users: number) => {
    const items: { input: AnyEventInput; timestamp: number }[] = [];
    for (let u = 0; u < users; u++) {
      const t = START + u * 1_000;
      items.push({ input: score(`w-${u}`, 'first', 10), timestamp: t });
      // within the window: the same event again, and a changed body under the same id
      items.push({ input: score(`w-${u}`, 'first', 10), timestamp: t + HOUR_MS / 2 });
      items.push({ input: score(`w-${u}`, 'first', 999), timestamp: t + HOUR_MS });
      // another user's "first" is another event
      items.push({ input: score(`w-${u}-b`, 'first', 1), timestamp: t + HOUR_MS });
    }
    for (let u = 0; u < users; u++) {
      const t = START + u * 1_000;
      // past the window: counts again, and a retry of that within the window does not
      items.push({ input: score(`w-${u}`, 'first', 100), timestamp: t + HOUR_MS + 1_000 });
      items.push({ input: score(`w-${u}`, 'first', 100), timestamp: t + 2 * HOUR_MS });
    }
    return items;
  };

  it('counts a retry within the window once and one past it again, live, after a crash, and in a replay', async () => {
    const items = log(40);
    const expected = oracle(
      items.map((item, i) => ({ ...item, partition: 0, offset: i })),
      3_600,
    );
    // the oracle itself: 10 + 100 per user (not 999, not a second 100), and 1 for each other user
    expect(expected.totals.get('global/all/w-7')?.score).toBe(110);
    expect(expected.totals.get('global/all/w-7-b')?.score).toBe(1);

    const env = { DEDUP_WINDOW: '1h', PROJECTOR_MAX_BYTES_PER_PARTITION: '2048' };
    let projector = await world.startProjector(env);
    await world.produceStamped(items.slice(0, 100));
    await world.waitForProjection();
    await projector.stop('SIGKILL');
    // the restarted projector knows the first half's eventIds only from PostgreSQL's ledger
    projector = await world.startProjector(env);
    await world.produceStamped(items.slice(100));
    await world.waitForProjection();
    await world.expectProjectionEqualsOracle(3_600);
    await projector.stop('SIGTERM');

    await promisify(execFile)(process.execPath, [REPLAY, '--from-start'], {
      env: { ...process.env, ...world.env.env, PROJECTOR_GROUP_ID: world.groupId },
    });
    const again = await world.startProjector({ DEDUP_WINDOW: '1h' });
    await world.waitForProjection();
    await world.expectProjectionEqualsOracle(3_600);
    const applied = 40 * 2 + 40;
    expect(await counterValue(again.url, 'rankstream_projector_events_applied_total')).toBe(applied);

    // the ledger holds 20 bytes per applied event
    const { rows } = await world.db.query('SELECT sum(octet_length(entries))::int AS bytes FROM event_ledger');
    expect(rows[0].bytes).toBe(20 * applied);
    await again.stop('SIGTERM');
  });
});
