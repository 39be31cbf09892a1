import {
  applyScheduleChange,
  type BoardChangeRecord,
  type BoardEventInput,
  type BoardSchedule,
  boardChangeRecord,
  EMPTY_SCHEDULE,
  foldBoardChanges,
  type Period,
  type ScheduleChange,
  type Weekday,
} from '@rankstream/schemas';
import type { Pool } from '@rankstream/schemas/runtime';
import type pg from 'pg';

type Client = pg.PoolClient;

import {
  applyBoardPatch,
  BOARD_DEFAULTS,
  type BoardDefinition,
  type BoardPatch,
  type DefaultOp,
  type SortOrder,
  type TiebreakColumn,
} from '../domain/board-definition.js';
import type { BoardEventSender, BoardPutOutcome, BoardStore, ScheduleOutcome } from '../ports.js';

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

/** A change recorded in board_changes, with what its board event needs. */
interface PendingChange extends BoardChangeRecord {
  event_id: string;
  actor: string;
}

function boardEventOf(r: PendingChange): BoardEventInput {
  const num = (v: string | number | null) => (v === null ? null : Number(v));
  return {
    eventId: r.event_id,
    action: r.action as BoardEventInput['action'],
    board: r.board,
    seasonId: r.season_id,
    startsAt: num(r.starts_at),
    endsAt: num(r.ends_at),
    actor: r.actor,
    occurredAt: Number(r.occurred_at),
  };
}

/**
 * A reset is placed at the request's instant, or just after the board's last reset when that is
 * later (clocks of two API instances): resets of a board only move forward, as the log has them.
 */
function placed(change: ScheduleChange, schedule: BoardSchedule, now: number): ScheduleChange {
  if (change.action !== 'reset') return change;
  const at = Math.max(now, (schedule.resets.at(-1) ?? Number.NEGATIVE_INFINITY) + 1);
  return { action: 'reset', at, next: change.next === null ? null : { ...change.next, startsAt: at } };
}

/**
 * Runs `work` holding the board's advisory lock for this session: one change of a board at a time,
 * across API instances, from its record to its mark as logged. A crash ends the session, and the
 * lock with it. `try`: gives up (undefined) when someone holds it.
 */
async function underBoardLock<T>(
  client: Client,
  board: string,
  mode: 'wait' | 'try',
  work: () => Promise<T>,
): Promise<T | undefined> {
  const key = `board-changes:${board}`;
  if (mode === 'wait') await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
  else {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
    if (!rows[0]?.ok) return undefined;
  }
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
  }
}

/** Board definitions in the `boards` table, shared with the projector (which may create them too). */
export function createPostgresBoardStore(pool: Pool): BoardStore {
  /** The board's schedule by its logged changes (every one, under the board's lock once the pending were sent). */
  async function scheduleOf(db: Pick<Pool, 'query'>, board: string): Promise<BoardSchedule> {
    const { rows } = await db.query<BoardChangeRecord>(
      `SELECT board, action, season_id, starts_at, ends_at, occurred_at FROM board_changes
       WHERE board = $1 AND logged ORDER BY seq`,
      [board],
    );
    return foldBoardChanges(rows).get(board) ?? EMPTY_SCHEDULE;
  }

  async function sendPendingOf(db: Client, board: string, send: BoardEventSender): Promise<number> {
    const { rows } = await db.query<PendingChange>(
      `SELECT event_id, board, action, season_id, starts_at, ends_at, occurred_at, actor FROM board_changes
       WHERE board = $1 AND NOT logged ORDER BY seq`,
      [board],
    );
    for (const row of rows) {
      await send(boardEventOf(row));
      await db.query('UPDATE board_changes SET logged = true WHERE event_id = $1', [row.event_id]);
    }
    return rows.length;
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
    async changeSchedule(board, request, send): Promise<ScheduleOutcome | undefined> {
      const client = await pool.connect();
      try {
        return await underBoardLock(client, board, 'wait', async () => {
          const { rows } = await client.query<BoardRow>(`SELECT ${COLUMNS} FROM boards WHERE board = $1`, [board]);
          if (!rows[0]) return undefined;
          await sendPendingOf(client, board, send);
          const before = await scheduleOf(client, board);
          const change = placed(request.change, before, request.now);
          const { schedule, conflict } = applyScheduleChange(before, change);
          if (conflict !== undefined) return { ok: false, conflict, definition: toDefinition(rows[0], before) };
          // The same season again (a retried request) was logged already.
          if (schedule === before) return { ok: true, definition: toDefinition(rows[0], before), change, before };
          const r = boardChangeRecord(board, change, request.now);
          await client.query(
            `INSERT INTO board_changes (board, event_id, action, season_id, starts_at, ends_at, occurred_at, actor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [board, request.eventId, r.action, r.season_id, r.starts_at, r.ends_at, r.occurred_at, request.actor],
          );
          const token = await send(boardEventOf({ ...r, event_id: request.eventId, actor: request.actor }));
          await client.query('UPDATE board_changes SET logged = true WHERE event_id = $1', [request.eventId]);
          return { ok: true, definition: toDefinition(rows[0], schedule), change, before, token };
        });
      } finally {
        client.release();
      }
    },
    async sendPending(send) {
      const { rows } = await pool.query<{ board: string }>('SELECT DISTINCT board FROM board_changes WHERE NOT logged');
      let sent = 0;
      for (const { board } of rows) {
        const client = await pool.connect();
        try {
          // A board another caller is changing is left to it: it sends the pending changes first.
          sent += (await underBoardLock(client, board, 'try', () => sendPendingOf(client, board, send))) ?? 0;
        } finally {
          client.release();
        }
      }
      return sent;
    },
  };
}
