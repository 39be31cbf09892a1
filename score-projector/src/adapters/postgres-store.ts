import {
  type BoardChangeRecord,
  boardChangeRecord,
  foldBoardChanges,
  RANK_ORDER_SQL,
  type RankOrder,
  rankGroupStart,
  type Weekday,
} from '@rankstream/schemas';
import type { Pool } from '@rankstream/schemas/runtime';
import type pg from 'pg';
import { MINUTES_KEPT, minuteCountKey, type StoredTotal, type TotalRow, totalKey } from '../domain/batch-fold.js';
import { groupByBoardPeriod } from '../domain/board-period-groups.js';
import type { RegionChange } from '../domain/player-regions.js';
import {
  type BatchWrite,
  type BoardDefinition,
  type InstanceCount,
  type LedgerHead,
  type ModerationWrite,
  type PartitionTransaction,
  type ProjectionStore,
  type RebuildSnapshot,
  TotalsConflictError,
} from '../domain/ports.js';
import { tableMaintenance } from './table-maintenance.js';

export { TotalsConflictError };

function boardFromRow(r: {
  board: string;
  sort_order: RankOrder;
  tiebreaks: BoardDefinition['tiebreaks'];
  default_op: string;
  periods: string[];
  time_zone: string;
  week_starts_on: Weekday;
  created_at: Date;
}): BoardDefinition {
  return {
    board: r.board,
    order: r.sort_order,
    tiebreaks: r.tiebreaks,
    defaultOp: r.default_op,
    periods: r.periods,
    timeZone: r.time_zone,
    weekStartsOn: r.week_starts_on,
    createdAt: r.created_at.getTime(),
  };
}

const BOARD_COLUMNS = 'board, sort_order, tiebreaks, default_op, periods, time_zone, week_starts_on, created_at';

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

/**
 * Everything a batch writes, in one statement (one round trip): data-modifying CTEs over unnest
 * arrays, each on its own table, all run to completion whether the final SELECT reads them or not.
 *
 * Totals are absolute values, each written only over the version it was folded from (compare-and-set):
 * existing totals by UPDATE, so that a row another partition's batch changed meanwhile is not written
 * and the count tells; new ones by a plain INSERT, which fails on a row another partition's batch
 * created meanwhile. Under READ COMMITTED a concurrent writer's row is waited for and re-checked,
 * never overwritten. (INSERT … ON CONFLICT DO NOTHING would report that case by the count too, but its
 * speculative insertion made inserting new totals ~1.5× dearer, and a replay inserts nearly every
 * row.) The rows inserted are added to this partition's period_counts rows; rank buckets (and their
 * groups, summed here from the same deltas, each named with its group by the projector), profiles,
 * ledger rows and the checkpoint go in the same statement. Per-partition count rows: batches of
 * other partitions never wait on these locks.
 *
 * A batch's totals name a few (board, period key) pairs thousands of times: each pair is sent once
 * and each row gives its number, which spares building and parsing two long text arrays.
 *
 * The checkpoint UPDATE covers the partition's own row and the ledger head of every shard the batch
 * added a row to, in one pass (two UPDATEs of one row in one statement would not both apply).
 */
const WRITE_BATCH = `WITH input AS (
    SELECT ($1::text[])[i.pair] AS board, ($2::text[])[i.pair] AS period_key, i.*
    FROM unnest($32::int[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
                $9::bigint[], $33::text[], $34::text[], $35::text[])
      AS i(pair, user_id, score, rank_score, reached_at, event_count, version, base_version, details, tie_key,
           tiebreaks)),
  updated AS (
    UPDATE totals t SET
      score = i.score, rank_score = i.rank_score, reached_at = i.reached_at,
      event_count = i.event_count, version = i.version, details = i.details,
      tie_key = coalesce(i.tie_key, ''), tiebreaks = i.tiebreaks::bigint[]
    FROM input i
    WHERE i.base_version >= 0 AND t.board = i.board AND t.period_key = i.period_key
      AND t.user_id = i.user_id AND t.version = i.base_version
    RETURNING 1),
  inserted AS (
    INSERT INTO totals (board, period_key, user_id, score, rank_score, reached_at, event_count, version, details,
      tie_key, tiebreaks)
    SELECT board, period_key, user_id, score, rank_score, reached_at, event_count, version, details,
      coalesce(tie_key, ''), tiebreaks::bigint[]
    FROM input WHERE base_version < 0
    RETURNING board, period_key),
  counted AS (
    INSERT INTO period_counts (board, period_key, partition, players)
    SELECT board, period_key, $10, count(*) FROM inserted
    GROUP BY board, period_key ORDER BY board, period_key
    ON CONFLICT (board, period_key, partition) DO UPDATE SET players = period_counts.players + excluded.players
    RETURNING board, period_key, players),
  buckets AS (
    INSERT INTO rank_bucket_counts (board, period_key, bucket_start, partition, players)
    SELECT board, period_key, bucket_start, $10, players
    FROM unnest($11::text[], $12::text[], $13::bigint[], $14::bigint[]) AS d(board, period_key, bucket_start, players)
    ON CONFLICT (board, period_key, bucket_start, partition)
    DO UPDATE SET players = rank_bucket_counts.players + excluded.players),
  grouped AS (
    INSERT INTO rank_group_counts (board, period_key, group_start, partition, players)
    SELECT board, period_key, group_start, $10, sum(players)
    FROM unnest($11::text[], $12::text[], $36::bigint[], $14::bigint[]) AS d(board, period_key, group_start, players)
    GROUP BY 1, 2, 3 HAVING sum(players) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (board, period_key, group_start, partition)
    DO UPDATE SET players = rank_group_counts.players + excluded.players),
  profiled AS (
    INSERT INTO profiles (user_id, username, image_url, region, occurred_at, version)
    SELECT * FROM unnest($15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], $20::bigint[])
    ON CONFLICT (user_id) DO UPDATE SET
      username = excluded.username, image_url = excluded.image_url, region = excluded.region,
      occurred_at = excluded.occurred_at, version = GREATEST(profiles.version + 1, excluded.version)
    RETURNING user_id, version),
  recorded AS (
    INSERT INTO event_ledger (topic, shard, seq, log_time, entries)
    SELECT $21, * FROM unnest($22::int[], $23::bigint[], $24::bigint[], $25::bytea[])),
  pruned AS (
    DELETE FROM event_ledger l USING unnest($26::int[], $27::bigint[]) AS pr(shard, before)
    WHERE l.topic = $21 AND l.shard = pr.shard AND l.log_time < pr.before),
  heads AS (
    SELECT partition, max(head) AS head FROM (
      SELECT $10::int AS partition, NULL::bigint AS head
      UNION ALL SELECT * FROM unnest($22::int[], $23::bigint[])) h
    GROUP BY partition),
  advanced AS (
    UPDATE projector_offsets o SET
      next_offset = CASE WHEN o.partition = $10 THEN $28 ELSE o.next_offset END,
      log_end_offset = CASE WHEN o.partition <> $10 THEN o.log_end_offset
                            WHEN $31 THEN $29 ELSE GREATEST(o.log_end_offset, $29) END,
      caught_up_at = CASE WHEN o.partition = $10 AND $30 THEN now() ELSE o.caught_up_at END,
      updated_at = CASE WHEN o.partition = $10 THEN now() ELSE o.updated_at END,
      ledger_head = COALESCE(h.head, o.ledger_head)
    FROM heads h WHERE o.topic = $21 AND o.partition = h.partition
    RETURNING o.partition)
  SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM inserted)::int AS inserted,
    EXISTS (SELECT 1 FROM advanced WHERE partition = $10) AS advanced,
    (SELECT array_agg(user_id) FROM profiled) AS profile_users, (SELECT array_agg(version) FROM profiled) AS profile_versions,
    (SELECT json_agg(json_build_array(board, period_key, players)) FROM counted) AS counts`;

interface WriteBatchResult {
  updated: number;
  inserted: number;
  advanced: boolean;
  profile_users: string[] | null;
  profile_versions: number[] | null;
  counts: [string, string, number][] | null;
}

function writeBatchParams(topic: string, partition: number, b: BatchWrite): unknown[] {
  const { rankBuckets, profiles, ledger, prune, checkpoint } = b;
  // Rows in group order, each naming its group by number (1-based, as SQL arrays are).
  const groups = groupByBoardPeriod(b.totals);
  const totals = groups.flatMap((g) => g.rows);
  const groupOfRow = groups.flatMap((g, i) => g.rows.map(() => i + 1));
  return [
    identifierArray(groups.map((g) => g.board)),
    identifierArray(groups.map((g) => g.periodKey)),
    identifierArray(totals.map((r) => r.userId)),
    numberArray(totals.map((r) => r.score)),
    numberArray(totals.map((r) => r.rankScore)),
    numberArray(totals.map((r) => r.reachedAt)),
    numberArray(totals.map((r) => r.eventCount)),
    numberArray(totals.map((r) => r.version)),
    numberArray(totals.map((r) => r.baseVersion)),
    partition,
    identifierArray(rankBuckets.map((d) => d.board)),
    identifierArray(rankBuckets.map((d) => d.periodKey)),
    numberArray(rankBuckets.map((d) => d.bucketStart)),
    numberArray(rankBuckets.map((d) => d.delta)),
    profiles.map((r) => r.userId),
    profiles.map((r) => r.username),
    profiles.map((r) => r.imageUrl),
    profiles.map((r) => r.region),
    profiles.map((r) => String(r.occurredAt)),
    profiles.map((r) => String(r.version)),
    topic,
    numberArray(ledger.map((l) => l.shard)),
    numberArray(ledger.map((l) => l.seq)),
    numberArray(ledger.map((l) => l.logTime)),
    ledger.map((l) => l.entries),
    numberArray(prune.map((p) => p.shard)),
    numberArray(prune.map((p) => p.before)),
    checkpoint.nextOffset,
    checkpoint.logEndOffset,
    checkpoint.caughtUp,
    checkpoint.logRestarted ?? false,
    numberArray(groupOfRow),
    // Most batches carry no details and no tie-breaks: empty arrays, which unnest pads with NULLs.
    totals.some((r) => r.details !== null) ? totals.map((r) => r.details) : [],
    totals.some((r) => r.tieKey !== '') ? totals.map((r) => r.tieKey) : [],
    totals.some((r) => r.tiebreaks !== undefined)
      ? totals.map((r) => (r.tiebreaks === undefined ? null : `{${r.tiebreaks.join(',')}}`))
      : [],
    // Each delta's group, named here: a batch has thousands of deltas, and this spares the statement
    // rank_group_start() on each (~9 µs a call before it was inlined, ~1 µs after).
    numberArray(rankBuckets.map((d) => rankGroupStart(d.bucketStart))),
  ];
}

/**
 * A batch's admin events, in one statement: removed totals deleted over their base versions, their
 * players taken off this partition's period counts; bans upserted (an unban keeps its row, so that the
 * ingest API's refresh by changed_at sees it); audit rows. Rank buckets go with the batch statement.
 */
const WRITE_MODERATION = `WITH gone AS (
    DELETE FROM totals t USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS r(board, period_key, user_id, base_version)
    WHERE t.board = r.board AND t.period_key = r.period_key AND t.user_id = r.user_id AND t.version = r.base_version
    RETURNING t.board, t.period_key),
  counted AS (
    INSERT INTO period_counts (board, period_key, partition, players)
    SELECT board, period_key, $5, -count(*) FROM gone GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (board, period_key, partition) DO UPDATE SET players = period_counts.players + excluded.players
    RETURNING board, period_key, players),
  banned AS (
    INSERT INTO user_bans (user_id, banned, erased, partition, actor, reason, occurred_at)
    SELECT u, b, e, $5, a, r, o
    FROM unnest($6::text[], $7::boolean[], $22::boolean[], $8::text[], $9::text[], $10::bigint[]) AS x(u, b, e, a, r, o)
    ON CONFLICT (user_id) DO UPDATE SET banned = excluded.banned, erased = excluded.erased, partition = excluded.partition,
      actor = excluded.actor, reason = excluded.reason, occurred_at = excluded.occurred_at, changed_at = now()),
  tombstoned AS (
    INSERT INTO removed_totals (board, period_key, user_id, version)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $23::bigint[])
    ON CONFLICT (board, period_key, user_id) DO UPDATE SET version = GREATEST(removed_totals.version, excluded.version)),
  forgotten AS (DELETE FROM profiles WHERE user_id = ANY($21::text[])),
  unrecorded AS (DELETE FROM ingest_profiles WHERE user_id = ANY($21::text[])),
  shredded AS (
    INSERT INTO user_keys (user_id, key, erased_at) SELECT unnest($21::text[]), NULL, now()
    ON CONFLICT (user_id) DO UPDATE SET key = NULL, erased_at = COALESCE(user_keys.erased_at, now())),
  audited AS (
    INSERT INTO admin_audit (event_id, partition, kafka_offset, action, user_id, board, period_key, actor, reason, occurred_at, removed)
    SELECT e, $5, o, a, u, b, p, ac, r, t, n
    FROM unnest($11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], $20::int[])
      AS x(e, o, a, u, b, p, ac, r, t, n)
    ON CONFLICT (event_id) DO NOTHING)
  SELECT (SELECT count(*) FROM gone)::int AS deleted,
    (SELECT json_agg(json_build_array(board, period_key, players)) FROM counted) AS counts`;

/**
 * The batch statement materialises its input (~300 B per total, tens of thousands of totals): with
 * the default 4 MB of work_mem it went through temporary files on every batch.
 */
const BEGIN_BATCH = "BEGIN; SET LOCAL work_mem = '64MB'";

/** A new total that another partition's batch created first: the same conflict as a changed one. */
async function writeBatch(client: pg.PoolClient, topic: string, partition: number, batch: BatchWrite) {
  try {
    const { rows } = await client.query<WriteBatchResult>(WRITE_BATCH, writeBatchParams(topic, partition, batch));
    return rows[0] as WriteBatchResult;
  } catch (error) {
    const e = error as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'totals_pkey') {
      throw new TotalsConflictError(batch.totals.length);
    }
    throw error;
  }
}

/** The durable projection: totals, processed eventIds, profiles, boards and per-partition checkpoints. */
export function createPostgresStore(pool: Pool, topic: string): ProjectionStore {
  const statistics = tableMaintenance(pool);

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

  async function inPartitionTransaction<T>(
    partition: number,
    shards: readonly number[],
    work: (tx: PartitionTransaction) => Promise<T>,
  ): Promise<T> {
    await statistics.beforeBatch();
    return inTransaction(BEGIN_BATCH, async (client) => {
      const locked = await lockCheckpoints(
        client,
        [...new Set([partition, ...shards])].sort((x, y) => x - y),
      );
      const own = locked.get(partition);
      if (!own) throw new Error(`no checkpoint row for ${topic}/${partition}`);
      const heads = new Map([...locked].map(([p, row]) => [p, { head: row.ledgerHead, epoch: row.ledgerEpoch }]));
      return work(partitionTransaction(client, partition, own.nextOffset, heads));
    });
  }

  /**
   * The row locks serialise every writer of a partition's checkpoint and of a shard's ledger: a
   * second instance or a zombie from before a rebalance waits here, then sees the advanced checkpoint
   * and ledger head and skips what was applied. Rows are locked in partition order (ORDER BY sits
   * below the row locking), so two batches that need each other's rows cannot deadlock on them.
   */
  async function lockCheckpoints(
    client: pg.PoolClient,
    partitions: readonly number[],
  ): Promise<Map<number, { nextOffset: number; ledgerHead: number; ledgerEpoch: number }>> {
    const select = `SELECT partition, next_offset, ledger_head, ledger_epoch FROM projector_offsets
      WHERE topic = $1 AND partition = ANY($2::int[]) ORDER BY partition FOR UPDATE`;
    type Row = { partition: number; next_offset: number; ledger_head: number; ledger_epoch: number };
    let { rows } = await client.query<Row>(select, [topic, partitions]);
    if (rows.length < partitions.length) {
      // New checkpoint rows: a new topic, or a replay emptied the projection under a running projector.
      statistics.tablesEmptied();
      await client.query(
        `INSERT INTO projector_offsets (topic, partition, next_offset)
         SELECT $1, unnest($2::int[]), 0 ON CONFLICT DO NOTHING`,
        [topic, partitions],
      );
      ({ rows } = await client.query<Row>(select, [topic, partitions]));
    }
    return new Map(
      rows.map((r) => [
        r.partition,
        { nextOffset: r.next_offset, ledgerHead: r.ledger_head, ledgerEpoch: r.ledger_epoch },
      ]),
    );
  }

  /** Whether processed_events (the ledger before event_ledger) holds anything: asked once. */
  let legacyLedger: Promise<boolean> | undefined;
  function hasLegacyLedger(client: pg.PoolClient): Promise<boolean> {
    legacyLedger ??= client
      .query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM processed_events) AS any')
      .then(({ rows }) => rows[0]?.any === true);
    legacyLedger.catch(() => {
      legacyLedger = undefined;
    });
    return legacyLedger;
  }

  function partitionTransaction(
    client: pg.PoolClient,
    partition: number,
    nextOffset: number,
    ledgerHeads: ReadonlyMap<number, LedgerHead>,
  ): PartitionTransaction {
    return {
      nextOffset,
      ledgerHeads,
      async ledgerRows(since) {
        if (since.length === 0) return [];
        const { rows } = await client.query<{ shard: number; seq: number; entries: Buffer }>(
          `SELECT l.shard, l.seq, l.entries FROM unnest($2::int[], $3::bigint[]) AS s(shard, after)
           JOIN event_ledger l ON l.topic = $1 AND l.shard = s.shard AND l.seq > s.after
           ORDER BY l.shard, l.seq`,
          [topic, numberArray(since.map((s) => s.shard)), numberArray(since.map((s) => s.after))],
        );
        return rows;
      },
      async legacyProcessed(eventIds) {
        if (eventIds.length === 0 || !(await hasLegacyLedger(client))) return new Set();
        const { rows } = await client.query<{ event_id: string }>(
          'SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])',
          [eventIds],
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
      async loadTotals(ids, withDetails = false) {
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
          tiebreaks: number[] | null;
          details?: string | null;
        }>(
          `SELECT t.board, t.period_key, t.user_id, t.score, t.reached_at, t.event_count, t.version, t.tiebreaks
             ${withDetails ? ', t.details' : ''}
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
          const stored: StoredTotal = {
            score: r.score,
            reachedAt: r.reached_at,
            eventCount: r.event_count,
            version: r.version,
          };
          if (r.tiebreaks !== null) stored.tiebreaks = r.tiebreaks;
          if (withDetails) stored.details = r.details ?? null;
          current.set(totalKey({ board: r.board, periodKey: r.period_key, userId: r.user_id }), stored);
        }
        return current;
      },
      async boardInstances(board) {
        const { rows } = await client.query<{ period_key: string }>(
          'SELECT DISTINCT period_key FROM period_counts WHERE board = $1',
          [board],
        );
        return rows.map((r) => r.period_key);
      },
      async allInstances() {
        const { rows } = await client.query<{ board: string; period_key: string }>(
          'SELECT DISTINCT board, period_key FROM period_counts',
        );
        return rows.map((r) => ({ board: r.board, periodKey: r.period_key }));
      },
      async standings() {
        const { rows } = await client.query<{ user_id: string; banned: boolean; erased: boolean }>(
          'SELECT user_id, banned, erased FROM user_bans WHERE (banned OR erased) AND partition = $1',
          [partition],
        );
        return new Map(rows.map((r) => [r.user_id, { banned: r.banned, erased: r.erased }]));
      },
      async regions() {
        const { rows } = await client.query<{ user_id: string; region: string | null; profile_region: string | null }>(
          'SELECT user_id, region, profile_region FROM player_regions WHERE partition = $1',
          [partition],
        );
        return new Map(rows.map((r) => [r.user_id, { region: r.region, profileRegion: r.profile_region }]));
      },
      async writeRegions(changes) {
        const none = (c: RegionChange) => c.region === null && c.profileRegion === null;
        const set = changes.filter((c) => !none(c));
        await client.query(
          `WITH gone AS (DELETE FROM player_regions WHERE user_id = ANY($1::text[]))
           INSERT INTO player_regions (user_id, region, profile_region, partition)
           SELECT u, r, pr, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS c(u, r, pr)
           ON CONFLICT (user_id) DO UPDATE SET region = excluded.region, profile_region = excluded.profile_region,
             partition = excluded.partition`,
          [
            changes.filter(none).map((c) => c.userId),
            set.map((c) => c.userId),
            set.map((c) => c.region),
            set.map((c) => c.profileRegion),
            partition,
          ],
        );
      },
      async boardSchedules() {
        const { rows } = await client.query<BoardChangeRecord>(
          `SELECT board, action, season_id, starts_at, ends_at, occurred_at FROM partition_board_changes
           WHERE partition = $1 ORDER BY seq`,
          [partition],
        );
        return foldBoardChanges(rows);
      },
      async writeBoardChanges(changes) {
        const records = changes.map((c) => boardChangeRecord(c.board, c.change, c.occurredAt));
        await client.query(
          `INSERT INTO partition_board_changes (partition, kafka_offset, board, action, season_id, starts_at, ends_at, occurred_at)
           SELECT $1, o, b, a, s, st, e, at
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[]) WITH ORDINALITY
             AS c(o, b, a, s, st, e, at, n) ORDER BY n`,
          [
            partition,
            changes.map((c) => String(c.offset)),
            records.map((r) => r.board),
            records.map((r) => r.action),
            records.map((r) => r.season_id),
            records.map((r) => r.starts_at),
            records.map((r) => r.ends_at),
            records.map((r) => r.occurred_at),
          ],
        );
      },
      async userKeys(userIds) {
        if (userIds.length === 0) return new Map();
        const { rows } = await client.query<{ user_id: string; key: Buffer }>(
          'SELECT user_id, key FROM user_keys WHERE user_id = ANY($1::text[]) AND key IS NOT NULL',
          [userIds],
        );
        return new Map(rows.map((r) => [r.user_id, r.key]));
      },
      async minuteCounts(keys) {
        const { rows } = await client.query<{ board: string; user_id: string; minute: string; events: number }>(
          `SELECT c.board, c.user_id, c.minute, c.events FROM player_minute_counts c
           JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS k(board, user_id, minute)
             ON c.board = k.board AND c.user_id = k.user_id AND c.minute = k.minute`,
          [keys.map((k) => k.board), keys.map((k) => k.userId), keys.map((k) => String(k.minute))],
        );
        const marks = await client.query<{ minute: string }>(
          'SELECT minute FROM player_minute_marks WHERE partition = $1',
          [partition],
        );
        const mark = marks.rows[0] === undefined ? Number.NEGATIVE_INFINITY : Number(marks.rows[0].minute);
        return {
          counts: new Map(rows.map((r) => [minuteCountKey(r.board, r.user_id, Number(r.minute)), r.events])),
          mark,
        };
      },
      async writeMinuteCounts(counts, mark) {
        if (!Number.isFinite(mark)) return;
        await client.query(
          `WITH written AS (
             INSERT INTO player_minute_counts (board, user_id, minute, partition, events)
             SELECT b, u, m, $5, e FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) AS c(b, u, m, e)
             ON CONFLICT (board, user_id, minute) DO UPDATE SET events = excluded.events)
           INSERT INTO player_minute_marks (partition, minute) VALUES ($5, $6)
           ON CONFLICT (partition) DO UPDATE SET minute = excluded.minute`,
          [
            counts.map((c) => c.board),
            counts.map((c) => c.userId),
            counts.map((c) => String(c.minute)),
            counts.map((c) => c.events),
            partition,
            mark,
          ],
        );
        // Apart from the upsert: one statement both writing and deleting a row would leave PostgreSQL
        // to pick. (A minute the batch counted may already be this old once the mark moved on.)
        await client.query('DELETE FROM player_minute_counts WHERE partition = $1 AND minute < $2', [
          partition,
          mark - MINUTES_KEPT,
        ]);
      },
      async writeModeration(m: ModerationWrite): Promise<InstanceCount[]> {
        // The ingest API's per-user lock on profile writes: one in flight on an instance that still
        // holds the user's key finishes before ingest_profiles is emptied, and none records after.
        if (m.erased.length > 0) {
          await client.query(
            `SELECT pg_advisory_xact_lock(hashtextextended('ingest_profiles:' || u, 0))
             FROM unnest($1::text[]) AS u ORDER BY u`,
            [[...m.erased]],
          );
        }
        const { rows } = await client.query<{ deleted: number; counts: [string, string, number][] | null }>(
          WRITE_MODERATION,
          [
            m.removed.map((r) => r.board),
            m.removed.map((r) => r.periodKey),
            m.removed.map((r) => r.userId),
            m.removed.map((r) => String(r.baseVersion)),
            partition,
            m.bans.map((b) => b.userId),
            m.bans.map((b) => b.banned),
            m.bans.map((b) => b.actor),
            m.bans.map((b) => b.reason),
            m.bans.map((b) => String(b.occurredAt)),
            m.audit.map((a) => a.event.eventId),
            m.audit.map((a) => String(a.offset)),
            m.audit.map((a) => a.event.action),
            m.audit.map((a) => a.event.userId),
            m.audit.map((a) => a.event.board),
            m.audit.map((a) => a.event.periodKey),
            m.audit.map((a) => a.event.actor),
            m.audit.map((a) => a.event.reason),
            m.audit.map((a) => String(a.event.occurredAt)),
            m.audit.map((a) => a.removed),
            m.erased,
            m.bans.map((b) => b.erased),
            m.removed.map((r) => String(r.version)),
          ],
        );
        const row = rows[0];
        if (!row || row.deleted !== m.removed.length)
          throw new TotalsConflictError(m.removed.length, row?.deleted ?? 0);
        return (row.counts ?? []).map(([board, periodKey, players]) => ({
          board,
          periodKey,
          players: Number(players),
        }));
      },
      async write(batch) {
        const result = await writeBatch(client, topic, partition, batch);
        const written = result.updated + result.inserted;
        if (written !== batch.totals.length) throw new TotalsConflictError(batch.totals.length, written);
        statistics.written(result.inserted, result.updated);
        if (!result.advanced) throw new Error(`no checkpoint row for ${topic}/${partition}`);
        // Every profile event reaching here applies (the ledger let it through, in log order), so it
        // always replaced the stored profile. Its version is the offset, or one more than the stored
        // version when that is larger, as for totals: after the topic was recreated, or for a user
        // whose events sit on several partitions, offsets are no order, and Redis must still take it.
        const versions = new Map<string, number>();
        const users = result.profile_users ?? [];
        for (let i = 0; i < users.length; i++) versions.set(users[i] as string, Number(result.profile_versions?.[i]));
        return {
          profiles: batch.profiles.map((r) => ({ ...r, version: versions.get(r.userId) ?? r.version })),
          counts: (result.counts ?? []).map(([board, periodKey, players]) => ({ board, periodKey, players })),
        };
      },
    };
  }

  return {
    inPartitionTransaction,

    async ledgerShards(partitions: number): Promise<number> {
      const { rows } = await pool.query<{ shards: number }>(
        `WITH mine AS (INSERT INTO ledger_shards (topic, shards) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING shards)
         SELECT shards FROM mine UNION ALL SELECT shards FROM ledger_shards WHERE topic = $1`,
        [topic, partitions],
      );
      const shards = rows[0]?.shards;
      if (shards === undefined) throw new Error(`no ledger shard count for ${topic}`);
      return shards;
    },

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

    async readSchedules() {
      // Each partition holds a copy of every change; one of each, in the order the first copy came.
      const { rows } = await pool.query<BoardChangeRecord>(
        `SELECT board, action, season_id, starts_at, ends_at, occurred_at FROM partition_board_changes
         GROUP BY board, action, season_id, starts_at, ends_at, occurred_at ORDER BY min(seq)`,
      );
      return foldBoardChanges(rows);
    },

    behind: (events) => statistics.behind(events),

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
    async instances(options = {}) {
      const { rows } = await pool.query(
        `SELECT DISTINCT board, period_key FROM period_counts ${options.withEmpty ? '' : 'WHERE players > 0'}
         ORDER BY board, period_key`,
      );
      return rows.map((r) => ({ board: r.board as string, periodKey: r.period_key as string }));
    },

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
              `SELECT ${TOTAL_COLUMNS} FROM totals`,
              ['board', 'period_key', 'user_id'],
              totalFromRow,
            ),
          async instanceCounts() {
            const { rows } = await client.query(
              'SELECT board, period_key, partition, players FROM period_counts WHERE players > 0',
            );
            return rows.map((r) => ({
              board: r.board,
              periodKey: r.period_key,
              partition: r.partition,
              players: r.players,
            }));
          },
          async topTotals(board, periodKey, limit) {
            // The ranking order of schemas/src/ranking.ts, read along totals_rank_order.
            const { rows } = await client.query(
              `SELECT ${TOTAL_COLUMNS} FROM totals WHERE board = $1 AND period_key = $2
               ORDER BY ${RANK_ORDER_SQL} LIMIT $3`,
              [board, periodKey, limit],
            );
            return rows.map(totalFromRow);
          },
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
          removed: (pageSize) =>
            keysetPages(
              client,
              pageSize,
              'SELECT board, period_key, user_id, version FROM removed_totals',
              ['board', 'period_key', 'user_id'],
              (r) => ({
                removed: true as const,
                board: r.board,
                periodKey: r.period_key,
                userId: r.user_id,
                key: totalKey({ board: r.board, periodKey: r.period_key, userId: r.user_id }),
                version: Number(r.version),
                baseVersion: -1,
              }),
            ),
          erased: (pageSize) =>
            keysetPages(
              client,
              pageSize,
              'SELECT user_id FROM (SELECT user_id FROM user_bans WHERE erased) e',
              ['user_id'],
              (r) => r.user_id as string,
            ),
        };
        return work(snapshot);
      });
    },
  };
}

export type PostgresStore = ProjectionStore;

const TOTAL_COLUMNS =
  'board, period_key, user_id, score, rank_score, reached_at, event_count, version, details, tie_key, tiebreaks';

function totalFromRow(r: any): TotalRow {
  return {
    board: r.board,
    periodKey: r.period_key,
    userId: r.user_id,
    score: r.score,
    rankScore: r.rank_score,
    reachedAt: r.reached_at,
    eventCount: r.event_count,
    version: r.version,
    details: r.details,
    tieKey: r.tie_key,
    ...(r.tiebreaks === null ? {} : { tiebreaks: r.tiebreaks }),
  };
}

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
