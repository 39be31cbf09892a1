import type { BoardSchedule, PeriodCalendar, RankOrder } from '@rankstream/schemas';
import type {
  AuditRow,
  BanChange,
  FoldedTotal,
  MinuteCount,
  ProfileRow,
  RemovedTotal,
  Standing,
  StoredTotal,
  TotalId,
  TotalRow,
} from './batch-fold.js';
import type { BoardChangeRow } from './board-schedules.js';
import type { PlayerRegion, RegionChange } from './player-regions.js';
import type { RankBucketDelta } from './rank-bucket-deltas.js';

/** A board as the query API needs it: mirrored to Redis (boardJson). */
export interface BoardDefinition extends PeriodCalendar {
  board: string;
  order: RankOrder;
  /** Tie-break columns after the score, each with its order and op (fixed at creation). */
  tiebreaks: { order: RankOrder; op: string }[];
  defaultOp: string;
  periods: string[];
  createdAt: number;
}

/** Ledger rows of one shard past a seq the projector already holds. */
export interface LedgerRow {
  shard: number;
  seq: number;
  /** encodeEntries' layout (domain/event-id-index.ts). */
  entries: Buffer;
}

/** Where a locked shard's ledger stands: `epoch` changes when the ledger was emptied (a replay). */
export interface LedgerHead {
  head: number;
  epoch: number;
}

/** Everything one batch changes, written together (one statement) or not at all. */
export interface BatchWrite {
  totals: readonly FoldedTotal[];
  rankBuckets: readonly RankBucketDelta[];
  profiles: readonly ProfileRow[];
  /** New ledger rows, each at its shard's head + 1. */
  ledger: readonly (LedgerRow & { logTime: number })[];
  /** Ledger rows of a shard whose newest log time is before `before` (ms) are dropped (DEDUP_WINDOW). */
  prune: readonly { shard: number; before: number }[];
  checkpoint: {
    nextOffset: number;
    logEndOffset: number;
    caughtUp: boolean;
    /** The log was replaced, so the stored log end is replaced too instead of only grown. */
    logRestarted?: boolean;
  };
}

/** A board instance's players from one partition, as PostgreSQL counts them. */
export interface InstanceCount {
  board: string;
  periodKey: string;
  players: number;
}

/** What a batch's admin events change, written before the batch's totals (only when it has some). */
export interface ModerationWrite {
  removed: readonly RemovedTotal[];
  bans: readonly BanChange[];
  audit: readonly AuditRow[];
  /** Users erased: their profile deleted, their key deleted for good. */
  erased: readonly string[];
}

export interface BatchWritten {
  /** The profiles written, each with the version it was stored at. */
  profiles: ProfileRow[];
  /** This partition's new player count of every instance the batch added players to. */
  counts: InstanceCount[];
}

/**
 * The work of one batch, inside one transaction that holds the partition's checkpoint row lock and
 * those of the ledger shards its events belong to.
 */
export interface PartitionTransaction {
  /** The first offset not yet applied for this partition (0 for a partition never seen). */
  readonly nextOffset: number;
  /** Each locked shard's ledger head, read under its lock. */
  readonly ledgerHeads: ReadonlyMap<number, LedgerHead>;
  /** Rows past `after` of each shard named, in seq order. */
  ledgerRows(since: readonly { shard: number; after: number }[]): Promise<LedgerRow[]>;
  /** Those of the eventIds recorded by the ledger of earlier versions (one row per eventId). */
  legacyProcessed(eventIds: readonly string[]): Promise<Set<string>>;
  /** Creates unknown boards with the defaults and returns every named board's definition. */
  ensureBoards(boards: readonly string[]): Promise<BoardDefinition[]>;
  /** The stored totals of these ids that exist; with `withDetails`, their details too. */
  loadTotals(ids: readonly TotalId[], withDetails?: boolean): Promise<Map<string, StoredTotal>>;
  /** Every period key the board has or had players under. */
  boardInstances(board: string): Promise<string[]>;
  /** Every board instance that has or had players. */
  allInstances(): Promise<{ board: string; periodKey: string }[]>;
  /** The users this partition's events banned or erased. */
  standings(): Promise<Map<string, Standing>>;
  /** The players of this partition with a region (player_regions). */
  regions(): Promise<Map<string, PlayerRegion>>;
  /** Records the players' regions after the batch (null: none). */
  writeRegions(changes: readonly RegionChange[]): Promise<void>;
  /** The board schedules this partition's board events made, folded in log order. */
  boardSchedules(): Promise<Map<string, BoardSchedule>>;
  /** Records board events the batch folded (a row per event, at its offset). */
  writeBoardChanges(changes: readonly BoardChangeRow[]): Promise<void>;
  /** The keys of those users who have one (an erased user's is gone). */
  userKeys(userIds: readonly string[]): Promise<Map<string, Buffer>>;
  /**
   * Deletes the removed totals (each over its base version: TotalsConflictError otherwise) with their
   * period counts, records the bans and the audit rows, deletes erased users' profiles and keys.
   * Returns the changed instances' counts.
   */
  writeModeration(write: ModerationWrite): Promise<InstanceCount[]>;
  /**
   * The stored counts of these (board, user, minute) keys that exist, by minuteCountKey, and the
   * partition's minute mark (-Infinity when none).
   */
  minuteCounts(keys: readonly Omit<MinuteCount, 'events'>[]): Promise<{ counts: Map<string, number>; mark: number }>;
  /** Writes the counts (absolute) and the mark, and drops the partition's minutes it no longer counts. */
  writeMinuteCounts(counts: readonly MinuteCount[], mark: number): Promise<void>;
  /**
   * Writes the batch and moves the checkpoint. Throws TotalsConflictError if any total's base
   * version is no longer the stored one. Returns the profiles as stored (each version above the one
   * it replaced: what Redis must get).
   */
  write(batch: BatchWrite): Promise<BatchWritten>;
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
  /** Every board instance's player count per partition. */
  instanceCounts(): Promise<(InstanceCount & { partition: number })[]>;
  /** An instance's best `limit` totals, in the ranking order. */
  topTotals(board: string, periodKey: string, limit: number): Promise<TotalRow[]>;
  profiles(pageSize: number): AsyncIterable<ProfileRow[]>;
  /** Totals admins removed, as tombstones (removed_totals), in primary key order. */
  removed(pageSize: number): AsyncIterable<RemovedTotal[]>;
  /** Users erased, in order. */
  erased(pageSize: number): AsyncIterable<string[]>;
}

/** The durable projection, as the batch path, the Redis sync and the heartbeat need it. */
export interface ProjectionStore {
  /** Runs `work` holding the checkpoint lock of `partition` and of every shard in `shards`. */
  inPartitionTransaction<T>(
    partition: number,
    shards: readonly number[],
    work: (tx: PartitionTransaction) => Promise<T>,
  ): Promise<T>;
  /** The ledger's shard count for the topic, fixed by the first caller (`partitions`: the topic's count now). */
  ledgerShards(partitions: number): Promise<number>;
  readOffsets(): Promise<Map<number, number>>;
  readBoards(): Promise<BoardDefinition[]>;
  /** Every board's seasons and resets as the projector folded them, all partitions together. */
  readSchedules(): Promise<Map<string, BoardSchedule>>;
  recordProgress(partition: number, logEndOffset: number): Promise<{ caughtUpAt: number; nextOffset: number }>;
  /** How far behind the log end this process's partitions are (events): the end of a backlog is a moment to tidy the tables for readers. */
  behind(events: number): Promise<void>;
  withRebuildSnapshot<T>(work: (snapshot: RebuildSnapshot) => Promise<T>): Promise<T>;
  /** Every board instance that has players (withEmpty: and those that had some). */
  instances(options?: { withEmpty?: boolean }): Promise<{ board: string; periodKey: string }[]>;
}
