import {
  applyScheduleChange,
  type BoardChangeRecord,
  type BoardSchedule,
  boardChangeRecord,
  EMPTY_SCHEDULE,
  foldBoardChanges,
  type Period,
  type Weekday,
} from '@rankstream/schemas';
import type { Pool } from '@rankstream/schemas/runtime';
import {
  applyBoardPatch,
  BOARD_DEFAULTS,
  type BoardDefinition,
  type BoardPatch,
  type DefaultOp,
  type SortOrder,
  type TiebreakColumn,
} from '../domain/board-definition.js';
import type { BoardPutOutcome, BoardStore, ScheduleOutcome } from '../ports.js';

interface BoardRow {
  board: string;
  sort_order: SortOrder;
  tiebreaks: TiebreakColumn[];
  default_op: DefaultOp;
  periods: Period[];
  max_events_per_minute: number | null;
  max_delta: string | null;
  time_zone: string;
  week_starts_on: Weekday;
  calendar_fixed: boolean;
  created_at: Date;
}

const COLUMNS =
  'board, sort_order, tiebreaks, default_op, periods, max_events_per_minute, max_delta, time_zone, week_starts_on, calendar_fixed, created_at';

function toDefinition(row: BoardRow, schedule: BoardSchedule): BoardDefinition {
  return {
    board: row.board,
    schedule,
    order: row.sort_order,
    tiebreaks: row.tiebreaks,
    defaultOp: row.default_op,
    periods: row.periods,
    maxEventsPerMinute: row.max_events_per_minute,
    maxDelta: row.max_delta === null ? null : Number(row.max_delta),
    timeZone: row.time_zone,
    weekStartsOn: row.week_starts_on,
    calendarFixed: row.calendar_fixed,
    createdAt: row.created_at.getTime(),
  };
}

/** Board definitions in the `boards` table, shared with the projector (which may create them too). */
export function createPostgresBoardStore(pool: Pool): BoardStore {
  async function scheduleOf(db: Pick<Pool, 'query'>, board: string): Promise<BoardSchedule> {
    const { rows } = await db.query<BoardChangeRecord>(
      'SELECT board, action, season_id, starts_at, ends_at, occurred_at FROM board_changes WHERE board = $1 ORDER BY seq',
      [board],
    );
    return foldBoardChanges(rows).get(board) ?? EMPTY_SCHEDULE;
  }

  async function get(board: string): Promise<BoardDefinition | undefined> {
    const { rows } = await pool.query<BoardRow>(`SELECT ${COLUMNS} FROM boards WHERE board = $1`, [board]);
    return rows[0] ? toDefinition(rows[0], await scheduleOf(pool, board)) : undefined;
  }

  return {
    get,
    async createIfMissing(board) {
      await pool.query(
        `INSERT INTO boards (board, sort_order, default_op, periods) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [board, BOARD_DEFAULTS.order, BOARD_DEFAULTS.defaultOp, BOARD_DEFAULTS.periods],
      );
      // A separate statement: a row a concurrent creator committed is visible to it, not to the INSERT's snapshot.
      const created = await get(board);
      if (!created) throw new Error(`board ${board} vanished right after its creation`);
      return created;
    },
    async put(board: string, patch: BoardPatch): Promise<BoardPutOutcome> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (;;) {
          const { rows } = await client.query<BoardRow>(`SELECT ${COLUMNS} FROM boards WHERE board = $1 FOR UPDATE`, [
            board,
          ]);
          const schedule = await scheduleOf(client, board);
          const current = rows[0] ? toDefinition(rows[0], schedule) : undefined;
          const outcome = applyBoardPatch(current, patch);
          if (!outcome.ok) {
            await client.query('ROLLBACK');
            return { status: 'immutable', field: outcome.field, definition: current! };
          }
          const s = outcome.settings;
          const values = [
            board,
            s.order,
            JSON.stringify(s.tiebreaks),
            s.defaultOp,
            s.periods,
            s.maxEventsPerMinute,
            s.maxDelta,
            s.timeZone,
            s.weekStartsOn,
            s.calendarFixed,
          ];
          // (Order and tie-breaks never change: the UPDATE names them only to take the same values.)
          const written = current
            ? await client.query<BoardRow>(
                `UPDATE boards SET default_op = $4, periods = $5, max_events_per_minute = $6, max_delta = $7,
                   time_zone = $8, week_starts_on = $9, calendar_fixed = $10, updated_at = now()
                 WHERE board = $1 AND sort_order = $2 AND tiebreaks = $3::jsonb RETURNING ${COLUMNS}`,
                values,
              )
            : await client.query<BoardRow>(
                `INSERT INTO boards (board, sort_order, tiebreaks, default_op, periods, max_events_per_minute,
                   max_delta, time_zone, week_starts_on, calendar_fixed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
                values,
              );
          // Created by someone else between our SELECT and INSERT: go round again, now as an update.
          if (!written.rows[0]) continue;
          await client.query('COMMIT');
          return { status: current ? 'updated' : 'created', definition: toDefinition(written.rows[0], schedule) };
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async changeSchedule(board, logged, publish): Promise<ScheduleOutcome | undefined> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // The board's row lock orders concurrent changes: each is judged against the ones before it.
        const { rows } = await client.query<BoardRow>(`SELECT ${COLUMNS} FROM boards WHERE board = $1 FOR UPDATE`, [
          board,
        ]);
        if (!rows[0]) {
          await client.query('ROLLBACK');
          return undefined;
        }
        const before = await scheduleOf(client, board);
        const { schedule, conflict } = applyScheduleChange(before, logged.change);
        if (conflict !== undefined) {
          await client.query('ROLLBACK');
          return { ok: false, conflict, definition: toDefinition(rows[0], before) };
        }
        // A change that changes nothing (a retried request) was logged already: a change is recorded
        // here only after the log took it.
        if (schedule === before) {
          await client.query('ROLLBACK');
          return { ok: true, definition: toDefinition(rows[0], before), changed: false };
        }
        await publish();
        const r = boardChangeRecord(board, logged.change, logged.occurredAt);
        await client.query(
          `INSERT INTO board_changes (board, event_id, action, season_id, starts_at, ends_at, occurred_at, actor)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
          [board, logged.eventId, r.action, r.season_id, r.starts_at, r.ends_at, r.occurred_at, logged.actor],
        );
        await client.query('COMMIT');
        return { ok: true, definition: toDefinition(rows[0], schedule), changed: true };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
