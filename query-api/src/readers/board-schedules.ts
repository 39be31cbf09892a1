import { type BoardChangeRecord, type BoardSchedule, EMPTY_SCHEDULE, foldBoardChanges } from '@rankstream/schemas';
import type { Logger, Pool } from '@rankstream/schemas/runtime';

/** Each board's seasons and resets, as reads need them to name the instance they read. */
export interface BoardSchedules {
  of(board: string): BoardSchedule;
  /**
   * The schedule with the changes still being logged too: what the projector may already know.
   * The keep rule (which seasons Redis holds) reads this one, so that it never trusts Redis with a
   * season that a newer one, not yet logged, made the projector drop.
   */
  forKeeping(board: string): BoardSchedule;
  /** Every board that has a schedule. */
  all(): ReadonlyMap<string, BoardSchedule>;
  /** Changes whenever a read finds the schedules changed: for the variants of answers that depend on them. */
  version(): number;
  /**
   * Reads the table again unless that was done in the last FRESH_MS (concurrent callers share one
   * read): for reads that must see a change just made (consistency tokens, a season not known yet).
   */
  refreshNow(): Promise<void>;
  /** Reads the table again now. */
  refresh(): Promise<void>;
}

const FRESH_MS = 50;

/**
 * The schedules the ingest API recorded (board_changes), read again every `refreshMs`: a new season
 * or a reset is seen here within that. The table is small (a row per season and reset), so it is
 * read whole. While PostgreSQL is unreachable the last copy stays in use.
 */
export function createBoardSchedules(pool: Pick<Pool, 'query'>, options: { refreshMs: number; logger: Logger }) {
  let schedules = new Map<string, BoardSchedule>();
  let withPending = new Map<string, BoardSchedule>();
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let readAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let version = 0;
  let seen = '';

  function refresh(): Promise<void> {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  async function read(): Promise<void> {
    const started = Date.now();
    try {
      const { rows } = await pool.query<BoardChangeRecord & { logged: boolean }>(
        'SELECT board, action, season_id, starts_at, ends_at, occurred_at, logged FROM board_changes ORDER BY seq',
      );
      const next = foldBoardChanges(rows.filter((r) => r.logged));
      withPending = rows.every((r) => r.logged) ? next : foldBoardChanges(rows);
      const text = JSON.stringify([...next]);
      if (text !== seen) version++;
      seen = text;
      schedules = next;
      readAt = started;
      if (failing) options.logger.info('board schedules read again');
      failing = false;
    } catch (error) {
      if (!failing)
        options.logger.warn({ err: (error as Error).message }, 'cannot read board schedules; keeping the last');
      failing = true;
    }
  }

  return {
    of(board: string): BoardSchedule {
      return schedules.get(board) ?? EMPTY_SCHEDULE;
    },
    forKeeping(board: string): BoardSchedule {
      return withPending.get(board) ?? EMPTY_SCHEDULE;
    },
    all: () => schedules,
    version: () => version,
    refresh,
    async refreshNow(): Promise<void> {
      if (Date.now() - readAt >= FRESH_MS) await refresh();
    },
    async start(): Promise<void> {
      await refresh();
      const tick = () => {
        timer = setTimeout(() => void refresh().finally(() => timer !== undefined && tick()), options.refreshMs);
        timer.unref();
      };
      tick();
    },
    stop(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
