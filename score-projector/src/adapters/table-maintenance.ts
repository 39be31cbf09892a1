import type { Pool } from '@rankstream/schemas/runtime';
import type pg from 'pg';

const TABLES = 'totals, rank_bucket_counts, rank_group_counts, period_counts';
/** Events behind the log end that make a backlog, and how close to the end it ends. */
const BACKLOG_EVENTS = 100_000;
const CAUGHT_UP_EVENTS = 1_000;

/**
 * Keeps the projection tables fit for the batches and for the query API's reads while a backlog
 * fills them; autovacuum alone comes only after a minute's nap and a fifth of the rows changed.
 *
 * Statistics: until a table that a replay emptied, or a new one, has been analyzed, the planner took
 * the rank index over the primary key for the batch's key lookups, scanning a whole board per key
 * (a 5,000-key totals load held a backend for 35 s at 77,000 rows). So before a batch, once this
 * process has inserted more than a fifth of the table's rows (at least 10,000) since the last
 * analyze, or on its first batch, the tables are analyzed; concurrent batches wait for it.
 *
 * Visibility: a rank from PostgreSQL counts the rows ahead of the user in their rank bucket with an
 * index-only scan, which reads the heap for every row of a page the visibility map does not mark
 * all-visible. On 1M rows the projector had just written, one rank took 530 ms instead of 6 ms until
 * a vacuum. So after a backlog (at least BACKLOG_EVENTS behind the log), the tables are vacuumed in
 * the background once the projector is back within CAUGHT_UP_EVENTS of the log end, if it wrote more
 * than 10,000 rows meanwhile (about 2 s for 2M rows on the reference machine; all-visible pages are
 * skipped); and while the backlog lasts, each time it wrote a fifth of the table's rows (at least
 * 50,000), so that the pages left when it ends are fewer. Live traffic, never that far behind, is
 * left to autovacuum: vacuuming every few seconds under load cost the ingest API's p99 seconds.
 */
export function tableMaintenance(pool: Pool) {
  let knownRows = -1;
  let pendingInserts = 0;
  let writtenSinceVacuum = 0;
  let analyzing: Promise<void> | undefined;
  let vacuuming: Promise<void> | undefined;
  let inBacklog = false;
  /** A backlog ended and its vacuum has not succeeded yet: retried at the next beat. */
  let vacuumDue = false;

  async function tableRows(client: { query: Pool['query'] }): Promise<number> {
    const { rows } = await client.query<{ reltuples: number }>(
      `SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = 'totals'::regclass`,
    );
    return Math.max(0, rows[0]?.reltuples ?? 0);
  }

  async function analyze(): Promise<void> {
    const counted = pendingInserts;
    const client = await pool.connect();
    try {
      // Never behind another ANALYZE or an anti-wraparound vacuum for long: this is an aid, not a step
      // a batch depends on, so a busy table is analyzed at a later batch instead.
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '500ms'`);
      await client.query(`ANALYZE ${TABLES}`);
      knownRows = await tableRows(client);
      await client.query('COMMIT');
      pendingInserts -= counted;
    } catch {
      await client.query('ROLLBACK').catch(() => {});
    } finally {
      client.release();
    }
  }

  /** Vacuums; true when it did. Never throws: the callers run it in the background. */
  async function vacuum(): Promise<boolean> {
    const written = writtenSinceVacuum;
    const inserted = pendingInserts;
    let client: pg.PoolClient | undefined;
    let clean = true;
    try {
      client = await pool.connect();
      // VACUUM runs outside a transaction, so the lock timeout is the session's until reset; another
      // instance vacuuming the same tables makes this one give up, not wait.
      await client.query(`SET lock_timeout = '500ms'`);
      await client.query(`VACUUM (ANALYZE) ${TABLES}`);
      knownRows = await tableRows(client);
      writtenSinceVacuum -= written;
      pendingInserts -= inserted;
      return true;
    } catch {
      return false;
    } finally {
      if (client) {
        await client.query('RESET lock_timeout').catch(() => {
          clean = false;
        });
        // A session that kept the short lock timeout must not serve a batch.
        client.release(clean ? undefined : true);
      }
    }
  }

  /** One vacuum at a time, after any ANALYZE in progress (the two take the same lock). */
  function startVacuum(): Promise<void> {
    vacuuming ??= (async () => {
      await analyzing;
      if (await vacuum()) vacuumDue = false;
    })().finally(() => {
      vacuuming = undefined;
    });
    return vacuuming;
  }

  return {
    beforeBatch(): Promise<void> {
      if (analyzing) return analyzing;
      // A vacuum in progress analyzes too; an ANALYZE now would wait on its lock and give up.
      if (vacuuming) return Promise.resolve();
      if (knownRows >= 0 && pendingInserts <= Math.max(10_000, knownRows / 5)) return Promise.resolve();
      analyzing = analyze().finally(() => {
        analyzing = undefined;
      });
      return analyzing;
    },
    /** Rows a committed batch inserted and updated. */
    written(inserted: number, updated: number): void {
      pendingInserts += inserted;
      writtenSinceVacuum += inserted + updated;
      if (inBacklog && writtenSinceVacuum > Math.max(50_000, knownRows / 5)) void startVacuum();
    },
    /** The tables were emptied (or are new) since the last analyze: analyze before the next batch. */
    tablesEmptied(): void {
      knownRows = -1;
    },
    /** How far behind the log end this process's partitions are, in events (from the heartbeat). */
    behind(events: number): Promise<void> {
      if (events >= BACKLOG_EVENTS) inBacklog = true;
      if (inBacklog && events < CAUGHT_UP_EVENTS) {
        inBacklog = false;
        vacuumDue = writtenSinceVacuum > 10_000;
      }
      if (vacuumDue && events < CAUGHT_UP_EVENTS) return startVacuum();
      return vacuuming ?? Promise.resolve();
    },
  };
}
