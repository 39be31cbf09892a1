import { createLogger, createPool, type Pool } from '@rankstream/schemas/runtime';
import { createTestEnv, type TestEnv } from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoardSchedules } from '../src/readers/board-schedules.js';

let env: TestEnv;
let pool: Pool;

beforeAll(async () => {
  env = await createTestEnv({ name: 'query_schedules' });
  pool = createPool(env.databaseUrl, 2, createLogger('test', 'silent'));
});

afterAll(async () => {
  await pool?.end();
  await env?.cleanup();
});

describe("the query API's copy of the board schedules", () => {
  it('reads by logged changes, and keeps Redis instances by pending ones too', async () => {
    // given a season logged, and a newer one recorded but still being sent to the partitions
    const record = (eventId: string, seasonId: string, startsAt: number, logged: boolean) =>
      pool.query(
        `INSERT INTO board_changes (board, event_id, action, season_id, starts_at, ends_at, occurred_at, actor, logged)
         VALUES ('cup', $1, 'season', $2, $3, $4, $3, 'admin', $5)`,
        [eventId, seasonId, startsAt, startsAt + 1_000, logged],
      );
    await record('c1', 's1', 1_000, true);
    await record('c2', 's2', 2_000, false);

    // when the query API reads them
    const schedules = createBoardSchedules(pool, { refreshMs: 60_000, logger: createLogger('test', 'silent') });
    await schedules.refresh();

    // then reads name the logged season only, while the keep rule already counts the pending one
    expect(schedules.of('cup').seasons.map((s) => s.seasonId)).toEqual(['s1']);
    expect(schedules.forKeeping('cup').seasons.map((s) => s.seasonId)).toEqual(['s1', 's2']);
    expect(schedules.forKeeping('other').seasons).toEqual([]);
  });
});
