import type { RankOrder } from '@rankstream/schemas';
import type { Pool } from '@rankstream/schemas/runtime';
import type pg from 'pg';
import {
  type FoldedTotal,
  type ProfileRow,
  type StoredTotal,
  type TotalId,
  type TotalRow,
  totalKey,
} from '../domain/batch-fold.js';
import type { RankBucketDelta } from '../domain/rank-bucket-deltas.js';

export interface BoardDefinition {
  board: string;
  order: RankOrder;
  defaultOp: string;
  periods: string[];
  createdAt: number;
}

/** The work of one batch, inside one transaction that holds the partition's checkpoint row lock. */
export interface PartitionTransaction {
  /** The first offset not yet applied for this partition (0 for a partition never seen). */
  readonly nextOffset: number;
  /** Records the eventIds and returns those never recorded before (the ones to apply). */
  recordEventIds(eventIds: readonly string[]): Promise<Set<string>>;
  /** Creates unknown boards with the defaults and returns every named board's definition. */
  ensureBoards(boards: readonly string[]): Promise<BoardDefinition[]>;
  loadTotals(ids: readonly TotalId[]): Promise<Map<string, StoredTotal>>;
  /** Throws TotalsConflictError if any row's base version is no longer the stored one. */
  writeTotals(rows: readonly FoldedTotal[]): Promise<void>;
  /** Adds the deltas to this partition's rank bucket counts. */
  adjustRankBuckets(deltas: readonly RankBucketDelta[]): Promise<void>;
  /** Returns the rows as stored: each version above the one it replaced (what Redis must get). */
  writeProfiles(rows: readonly ProfileRow[]): Promise<ProfileRow[]>;
  /** `logRestarted`: the log was replaced, so the stored log end is replaced too instead of only grown. */
  advance(checkpoint: {
    nextOffset: number;
    logEndOffset: number;
    caughtUp: boolean;
    logRestarted?: boolean;
  }): Promise<void>;
}

/**
 * A total changed under the batch since it was loaded or cached: only possible when one user's
 * events arrive on several partitions (a producer that keys or partitions differently from the
 * ingest API), whose batches then race for the same rows. The transaction must roll back and the
 * batch be folded again over fresh totals.
 */
export class TotalsConflictError extends Error {
  /** `written` is unknown when the statement failed on a total created meanwhile. */
  constructor(
    readonly expected: number,
    readonly written?: number,
  ) {
    super(
      written === undefined
        ? `a new total of the batch's ${expected} was created meanwhile (a user on several partitions)`
        : `${expected - written} of ${expected} totals changed under the batch (a user on several partitions)`,
    );
    this.name = 'TotalsConflictError';
  }
}

export interface RebuildSnapshot {
  offsets: Map<number, number>;
  boards: BoardDefinition[];
  /** Pages of totals in primary key order. */
  totals(pageSize: number): AsyncIterable<TotalRow[]>;
  profiles(pageSize: number): AsyncIterable<ProfileRow[]>;
}

function boardFromRow(r: {
  board: string;
  sort_order: RankOrder;
  default_op: string;
  periods: string[];
  created_at: Date;
}): BoardDefinition {
  return {
    board: r.board,
    order: r.sort_order,
    defaultOp: r.default_op,
    periods: r.periods,
    createdAt: r.created_at.getTime(),
  };
}

const BOARD_COLUMNS = 'board, sort_order, default_op, periods, created_at';

/**
 * An array parameter as PostgreSQL's array literal, built in one join. node-postgres escapes every
 * element with a regular expression, which showed up high in the profile for 20,000-row batches.
 * Numbers need no quoting; identifiers (board, period key, user id: patterns without quotes,
 * backslashes or spaces) are quoted as they are. Anything else goes through node-postgres.
 */
function numberArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

function identifierArray(values: readonly string[]): string | readonly string[] {
  for (const v of values) if (v.includes('"') || v.includes('\\')) return values;
  return values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
}

const WRITE_TOTALS = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                         $7::bigint[], $8::bigint[], $9::bigint[])
      AS i(board, period_key, user_id, score, rank_score, reached_at, event_count, version, base_version)),
  updated AS (
    UPDATE totals t SET
      score = i.score, rank_score = i.rank_score, reached_at = i.reached_at,
      event_count = i.event_count, version = i.version
    FROM input i
    WHERE i.base_version >= 0 AND t.board = i.board AND t.period_key = i.period_key
      AND t.user_id = i.user_id AND t.version = i.base_version
    RETURNING 1),
  inserted AS (
    INSERT INTO totals (board, period_key, user_id, score, rank_score, reached_at, event_count, version)
    SELECT board, period_key, user_id, score, rank_score, reached_at, event_count, version
    FROM input WHERE base_version < 0
    RETURNING board, period_key),
  counted AS (
    INSERT INTO period_counts (board, period_key, partition, players)
    SELECT board, period_key, $10, count(*) FROM inserted
    GROUP BY board, period_key ORDER BY board, period_key
    ON CONFLICT (board, period_key, partition) DO UPDATE SET players = period_counts.players + excluded.players)
  SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM inserted)::int AS inserted`;

/** A new total that another partition's batch created first: the same conflict as a changed one. */
async function writeCounted(client: pg.PoolClient, rowCount: number, params: unknown[]) {
  try {
    return await client.query<{ updated: number; inserted: number }>(WRITE_TOTALS, params);
  } catch (error) {
    const e = error as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'totals_pkey') {
      throw new TotalsConflictError(rowCount);
    }
    throw error;
  }
}

/** The durable projection: totals, processed eventIds, profiles, boards and per-partition checkpoints. */
export function createPostgresStore(pool: Pool, topic: string) {
  /** BEGIN … COMMIT on one pooled client, ROLLBACK on failure. */
  async function inTransaction<T>(begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A client whose connection died must not go back to the pool.
      client.release(broken ? true : undefined);
    }
  }

  function inPartitionTransaction<T>(partition: number, work: (tx: PartitionTransaction) => Promise<T>): Promise<T> {
    return inTransaction('BEGIN', async (client) => {
      const nextOffset = await lockCheckpoint(client, partition);
      return work(partitionTransaction(client, partition, nextOffset));
    });
  }

  /**
   * The row lock serialises every writer of this partition: a second instance or a zombie from
   * before a rebalance waits here, then sees the advanced checkpoint and skips what was applied.
   */
  async function lockCheckpoint(client: pg.PoolClient, partition: number): Promise<number> {
    const select = 'SELECT next_offset FROM projector_offsets WHERE topic = $1 AND partition = $2 FOR UPDATE';
    let { rows } = await client.query<{ next_offset: number }>(select, [topic, partition]);
    if (rows.length === 0) {
      await client.query(
        'INSERT INTO projector_offsets (topic, partition, next_offset) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING',
        [topic, partition],
      );
      ({ rows } = await client.query<{ next_offset: number }>(select, [topic, partition]));
    }
    const row = rows[0];
    if (!row) throw new Error(`no checkpoint row for ${topic}/${partition}`);
    return row.next_offset;
  }

  function partitionTransaction(client: pg.PoolClient, partition: number, nextOffset: number): PartitionTransaction {
    return {
      nextOffset,
      async recordEventIds(eventIds) {
        if (eventIds.length === 0) return new Set();
        // Sorted so that two partitions recording overlapping ids lock them in the same order.
        const sorted = [...eventIds].sort();
        const { rows } = await client.query<{ event_id: string }>(
          `INSERT INTO processed_events (event_id) SELECT unnest($1::text[])
           ON CONFLICT DO NOTHING RETURNING event_id`,
          [sorted],
        );
        return new Set(rows.map((r) => r.event_id));
      },
      async ensureBoards(boards) {
        if (boards.length === 0) return [];
        await client.query(
          `INSERT INTO boards (board, sort_order, default_op) SELECT unnest($1::text[]), 'desc', 'add'
           ON CONFLICT DO NOTHING`,
          [[...boards].sort()],
        );
        const { rows } = await client.query(`SELECT ${BOARD_COLUMNS} FROM boards WHERE board = ANY($1::text[])`, [
          boards,
        ]);
        return rows.map(boardFromRow);
      },
      async loadTotals(ids) {
        const current = new Map<string, StoredTotal>();
        if (ids.length === 0) return current;
        const { rows } = await client.query<{
          board: string;
          period_key: string;
          user_id: string;
          score: number;
          reached_at: number;
          event_count: number;
          version: number;
        }>(
          `SELECT t.board, t.period_key, t.user_id, t.score, t.reached_at, t.event_count, t.version
           FROM totals t
           JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(board, period_key, user_id)
             ON t.board = k.board AND t.period_key = k.period_key AND t.user_id = k.user_id`,
          [
            identifierArray(ids.map((i) => i.board)),
            identifierArray(ids.map((i) => i.periodKey)),
            identifierArray(ids.map((i) => i.userId)),
          ],
        );
        for (const r of rows) {
          current.set(totalKey({ board: r.board, periodKey: r.period_key, userId: r.user_id }), {
            score: r.score,
            reachedAt: r.reached_at,
            eventCount: r.event_count,
            version: r.version,
          });
        }
        return current;
      },
      async writeTotals(rows) {
        if (rows.length === 0) return;
        // Absolute values, each written only over the version it was folded from (compare-and-set):
        // existing totals by UPDATE, so that a row another partition's batch changed meanwhile is
        // not written and the count tells; new ones by a plain INSERT, which fails on a row another
        // partition's batch created meanwhile. Under READ COMMITTED a concurrent writer's row is
        // waited for and re-checked, never overwritten. (INSERT … ON CONFLICT DO NOTHING would
        // report that case by the count too, but its speculative insertion made inserting new
        // totals ~1.5× dearer, and a replay inserts nearly every row.) The rows inserted are added
        // to this partition's period_counts rows in the same statement, so the count commits with
        // the totals or not at all. Per-partition rows: batches of other partitions never wait on
        // these locks.
        const { rows: counts } = await writeCounted(client, rows.length, [
          identifierArray(rows.map((r) => r.board)),
          identifierArray(rows.map((r) => r.periodKey)),
          identifierArray(rows.map((r) => r.userId)),
          numberArray(rows.map((r) => r.score)),
          numberArray(rows.map((r) => r.rankScore)),
          numberArray(rows.map((r) => r.reachedAt)),
          numberArray(rows.map((r) => r.eventCount)),
          numberArray(rows.map((r) => r.version)),
          numberArray(rows.map((r) => r.baseVersion)),
          partition,
        ]);
        const written = (counts[0]?.updated ?? 0) + (counts[0]?.inserted ?? 0);
        if (written !== rows.length) throw new TotalsConflictError(rows.length, written);
      },
      async adjustRankBuckets(deltas) {
        if (deltas.length === 0) return;
        await client.query(
          `INSERT INTO rank_buckets (board, period_key, bucket_start, partition, players)
           SELECT board, period_key, bucket_start, $5, players
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS d(board, period_key, bucket_start, players)
           ON CONFLICT (board, period_key, bucket_start, partition)
           DO UPDATE SET players = rank_buckets.players + excluded.players`,
          [
            identifierArray(deltas.map((d) => d.board)),
            identifierArray(deltas.map((d) => d.periodKey)),
            numberArray(deltas.map((d) => d.bucketStart)),
            numberArray(deltas.map((d) => d.delta)),
            partition,
          ],
        );
      },
      async writeProfiles(rows) {
        if (rows.length === 0) return [];
        // Every profile event reaching here applies (the ledger let it through, in log order), so it
        // always replaces the stored profile. Its version is the offset, or one more than the stored
        // version when that is larger, as for totals: after the topic was recreated, or for a user
        // whose events sit on several partitions, offsets are no order, and Redis must still take it.
        const { rows: stored } = await client.query<{ user_id: string; version: number }>(
          `INSERT INTO profiles (user_id, username, image_url, region, occurred_at, version)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
           ON CONFLICT (user_id) DO UPDATE SET
             username = excluded.username, image_url = excluded.image_url, region = excluded.region,
             occurred_at = excluded.occurred_at, version = GREATEST(profiles.version + 1, excluded.version)
           RETURNING user_id, version`,
          [
            rows.map((r) => r.userId),
            rows.map((r) => r.username),
            rows.map((r) => r.imageUrl),
            rows.map((r) => r.region),
            rows.map((r) => String(r.occurredAt)),
            rows.map((r) => String(r.version)),
          ],
        );
        const versions = new Map(stored.map((r) => [r.user_id, Number(r.version)]));
        return rows.map((r) => ({ ...r, version: versions.get(r.userId) ?? r.version }));
      },
      async advance({ nextOffset: next, logEndOffset, caughtUp, logRestarted = false }) {
        await client.query(
          `UPDATE projector_offsets SET next_offset = $3,
             log_end_offset = CASE WHEN $6 THEN $4 ELSE GREATEST(log_end_offset, $4) END,
             caught_up_at = CASE WHEN $5 THEN now() ELSE caught_up_at END, updated_at = now()
           WHERE topic = $1 AND partition = $2`,
          [topic, partition, next, logEndOffset, caughtUp, logRestarted],
        );
      },
    };
  }

  return {
    inPartitionTransaction,

    async readOffsets(): Promise<Map<number, number>> {
      const { rows } = await pool.query<{ partition: number; next_offset: number }>(
        'SELECT partition, next_offset FROM projector_offsets WHERE topic = $1',
        [topic],
      );
      return new Map(rows.map((r) => [r.partition, r.next_offset]));
    },

    async readBoards(): Promise<BoardDefinition[]> {
      const { rows } = await pool.query(`SELECT ${BOARD_COLUMNS} FROM boards`);
      return rows.map(boardFromRow);
    },

    /**
     * The heartbeat: how far the log reaches and when this partition was last caught up. Never
     * touches next_offset, which only the batch transaction moves. A row a batch holds locked is
     * skipped rather than waited for (that wait lasted as long as the batch, and the beats of the
     * other partitions queued behind it): the heartbeat also hands its log end to the batches
     * (log-ends.ts), whose checkpoint write records it with the caught-up time. The answer is then
     * the row as last committed. The log end only grows, as in the batch's write: a beat whose
     * offsets were read before a batch committed must not lower it.
     */
    async recordProgress(partition: number, logEndOffset: number): Promise<{ caughtUpAt: number; nextOffset: number }> {
      const { rows } = await pool.query<{ caught_up_at: Date; next_offset: number }>(
        `WITH unlocked AS (
           SELECT topic, partition FROM projector_offsets WHERE topic = $1 AND partition = $2
           FOR UPDATE SKIP LOCKED),
         beat AS (
           UPDATE projector_offsets o SET log_end_offset = GREATEST(o.log_end_offset, $3),
             caught_up_at = CASE WHEN o.next_offset >= GREATEST(o.log_end_offset, $3) THEN now() ELSE o.caught_up_at END,
             updated_at = now()
           FROM unlocked u WHERE o.topic = u.topic AND o.partition = u.partition
           RETURNING o.caught_up_at, o.next_offset)
         SELECT caught_up_at, next_offset FROM beat
         UNION ALL
         SELECT caught_up_at, next_offset FROM projector_offsets
         WHERE topic = $1 AND partition = $2 AND NOT EXISTS (SELECT 1 FROM beat)`,
        [topic, partition, logEndOffset],
      );
      const row = rows[0];
      return row
        ? { caughtUpAt: row.caught_up_at.getTime(), nextOffset: row.next_offset }
        : { caughtUpAt: 0, nextOffset: 0 };
    },

    /**
     * Reads everything Redis needs from one consistent snapshot (REPEATABLE READ): the offsets read
     * first describe exactly the totals streamed afterwards.
     */
    withRebuildSnapshot<T>(work: (snapshot: RebuildSnapshot) => Promise<T>): Promise<T> {
      return inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
        const { rows: offsetRows } = await client.query<{ partition: number; next_offset: number }>(
          'SELECT partition, next_offset FROM projector_offsets WHERE topic = $1',
          [topic],
        );
        const { rows: boardRows } = await client.query(`SELECT ${BOARD_COLUMNS} FROM boards`);
        const snapshot: RebuildSnapshot = {
          offsets: new Map(offsetRows.map((r) => [r.partition, r.next_offset])),
          boards: boardRows.map(boardFromRow),
          totals: (pageSize) =>
            keysetPages(
              client,
              pageSize,
              `SELECT board, period_key, user_id, score, rank_score, reached_at, event_count, version FROM totals`,
              ['board', 'period_key', 'user_id'],
              (r) => ({
                board: r.board,
                periodKey: r.period_key,
                userId: r.user_id,
                score: r.score,
                rankScore: r.rank_score,
                reachedAt: r.reached_at,
                eventCount: r.event_count,
                version: r.version,
              }),
            ),
          profiles: (pageSize) =>
            keysetPages(
              client,
              pageSize,
              'SELECT user_id, username, image_url, region, occurred_at, version FROM profiles',
              ['user_id'],
              (r) => ({
                userId: r.user_id,
                username: r.username,
                imageUrl: r.image_url,
                region: r.region,
                occurredAt: r.occurred_at,
                version: r.version,
              }),
            ),
        };
        return work(snapshot);
      });
    },
  };
}

export type PostgresStore = ReturnType<typeof createPostgresStore>;

/** Pages through a table in primary key order; keyset paging keeps each page an index range scan. */
async function* keysetPages<T>(
  client: pg.PoolClient,
  pageSize: number,
  select: string,
  keyColumns: string[],
  map: (row: any) => T,
): AsyncIterable<T[]> {
  let after: unknown[] | undefined;
  const keyList = keyColumns.join(', ');
  for (;;) {
    const placeholders = keyColumns.map((_, i) => `$${i + 2}`).join(', ');
    const where = after ? `WHERE (${keyList}) > (${placeholders})` : '';
    const { rows } = await client.query(`${select} ${where} ORDER BY ${keyList} LIMIT $1`, [
      pageSize,
      ...(after ?? []),
    ]);
    if (rows.length === 0) return;
    yield rows.map(map);
    const last = rows[rows.length - 1];
    after = keyColumns.map((c) => last[c]);
    if (rows.length < pageSize) return;
  }
}
