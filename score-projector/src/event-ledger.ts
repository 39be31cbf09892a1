import { partitionForKey } from '@rankstream/schemas';
import type { Candidate } from './domain/batch-plan.js';
import { ENTRY_BYTES, EventIdIndex, encodeEntries, ledgerKey, logSeconds } from './domain/event-id-index.js';
import type { BatchWrite, LedgerRow, PartitionTransaction } from './domain/ports.js';

/** Ledger rows older than the window by more than this are dropped: tolerance for producer clocks. */
const PRUNE_GRACE_SECONDS = 86_400;
/** A shard is pruned (in PostgreSQL and in memory) at most once per this much log time. */
const PRUNE_EVERY_SECONDS = 3_600;

interface ShardState {
  index: EventIdIndex;
  head: number;
  epoch: number;
  /** The newest log time (seconds) recorded in the shard. */
  newest: number;
  /** The log time before which entries were last pruned. */
  prunedBefore: number;
}

export interface LedgerDecision {
  /** Candidates never applied before, in offset order. */
  fresh: Candidate[];
  duplicates: number;
  /** The rows and prunes to write with the batch. */
  ledger: BatchWrite['ledger'];
  prune: BatchWrite['prune'];
  /** Applies the written rows to memory; call after COMMIT only. */
  committed(): void;
}

/**
 * The exactly-once ledger as the batch path sees it. An event's key is (userId, eventId); it belongs
 * to the shard its userId hashes to among `shards` (the partition the ingest API puts the user on, so
 * nearly always the partition the event arrives on). Each shard's keys live in memory, loaded from
 * PostgreSQL's ledger rows and kept current under the shard's checkpoint lock: a head or epoch that
 * differs from the one in memory means another writer (a previous owner, a replay) was there, and
 * the rows past our head are read, or the whole shard again.
 *
 * With a window, an event counts as a duplicate only if its key was recorded at a log time (Kafka's
 * message timestamp) no more than `windowSeconds` before its own: a rule over the log alone, so a
 * replay from the start decides exactly as the live run did.
 */
export function createEventLedger(options: {
  shards: number;
  windowSeconds: number | null;
  /** Wall-clock ms: caps the prune point, so a producer's timestamp in the future cannot prune the shard. */
  now?: () => number;
}) {
  const { shards, windowSeconds } = options;
  const now = options.now ?? Date.now;
  const states = new Map<number, ShardState>();

  function homeOf(userId: string): number {
    return partitionForKey(userId, shards);
  }

  /** Brings the locked shards' keys up to date with what PostgreSQL holds, under the locks. */
  async function sync(tx: PartitionTransaction): Promise<void> {
    const since: { shard: number; after: number }[] = [];
    for (const [shard, { head, epoch }] of tx.ledgerHeads) {
      const state = states.get(shard);
      if (state !== undefined && state.epoch === epoch && state.head === head) continue;
      if (state === undefined || state.epoch !== epoch || state.head > head) {
        states.set(shard, { index: new EventIdIndex(), head: 0, epoch, newest: 0, prunedBefore: 0 });
        since.push({ shard, after: 0 });
      } else {
        since.push({ shard, after: state.head });
      }
    }
    if (since.length === 0) return;
    const rows = await tx.ledgerRows(since);
    for (const row of rows) apply(row);
    for (const [shard, { head }] of tx.ledgerHeads) {
      const state = states.get(shard);
      if (state) state.head = head;
    }
  }

  function apply(row: LedgerRow): void {
    const state = states.get(row.shard);
    if (!state) return;
    state.index.addEntries(row.entries);
    for (let at = 16; at < row.entries.length; at += ENTRY_BYTES) {
      state.newest = Math.max(state.newest, row.entries.readUInt32BE(at));
    }
    state.head = Math.max(state.head, row.seq);
  }

  /** Whether a key recorded at log time `recorded` (-1 or undefined: never) makes one at `seconds` a duplicate. */
  function withinWindow(recorded: number | undefined, seconds: number): boolean {
    return recorded !== undefined && recorded >= 0 && (windowSeconds === null || recorded >= seconds - windowSeconds);
  }

  /**
   * Splits candidates (in offset order) into fresh ones and duplicates, earlier ones of the same
   * batch included, and prepares the ledger rows that record the fresh ones. `legacy`: eventIds the
   * old per-event ledger recorded.
   */
  function decide(candidates: readonly Candidate[], legacy: ReadonlySet<string>): LedgerDecision {
    const fresh: Candidate[] = [];
    const byShard = new Map<number, { key: Buffer; seconds: number }[]>();
    const thisBatch = new EventIdIndex(candidates.length);
    for (const c of candidates) {
      // A board event needs no ledger: folding one twice changes nothing (board-schedule.ts), and
      // its copies reach every partition at once, where a shared ledger shard would serialise them.
      if (c.decoded.kind === 'board') {
        fresh.push(c);
        continue;
      }
      const { userId, eventId } = c.decoded.event;
      const seconds = logSeconds(c.timestamp);
      const shard = homeOf(userId);
      const key = ledgerKey(userId, eventId);
      if (withinWindow(thisBatch.timeOf(key), seconds) || withinWindow(states.get(shard)?.index.timeOf(key), seconds)) {
        continue;
      }
      if (legacy.has(eventId)) continue;
      thisBatch.set(key, 0, seconds);
      fresh.push(c);
      const entries = byShard.get(shard);
      if (entries) entries.push({ key, seconds });
      else byShard.set(shard, [{ key, seconds }]);
    }
    const ledger: (LedgerRow & { logTime: number })[] = [];
    const prune: { shard: number; before: number }[] = [];
    const pruneMemory: { state: ShardState; before: number }[] = [];
    for (const [shard, entries] of byShard) {
      const state = states.get(shard);
      if (!state) throw new Error(`ledger shard ${shard} was not locked and loaded`);
      const newest = entries.reduce((m, e) => Math.max(m, e.seconds), 0);
      ledger.push({ shard, seq: state.head + 1, logTime: newest * 1000, entries: encodeEntries(entries) });
      if (windowSeconds !== null) {
        const newestKnown = Math.min(Math.max(state.newest, newest), logSeconds(now()));
        const before = newestKnown - windowSeconds - PRUNE_GRACE_SECONDS;
        if (before - state.prunedBefore >= PRUNE_EVERY_SECONDS) {
          prune.push({ shard, before: before * 1000 });
          pruneMemory.push({ state, before });
        }
      }
    }
    return {
      fresh,
      duplicates: candidates.length - fresh.length,
      ledger,
      prune,
      committed() {
        for (const row of ledger) {
          // Another writer between the sync and this commit (impossible under the row lock, unless
          // this process lost track) would leave a gap: forget the shard, the next batch reloads it.
          if (states.get(row.shard)?.head !== row.seq - 1) states.delete(row.shard);
          else apply(row);
        }
        for (const { state, before } of pruneMemory) {
          state.index.retainSince(before);
          state.prunedBefore = before;
        }
      },
    };
  }

  return {
    homeOf,
    sync,
    decide,
    /** The shards whose ledgers a batch of these users' events needs locked. */
    shardsOf(userIds: Iterable<string>): number[] {
      const out = new Set<number>();
      for (const userId of userIds) out.add(homeOf(userId));
      return [...out];
    },
    /** After an assignment: keeps only the owned partitions' shards (others are loaded again if needed). */
    retainOnly(owned: readonly number[]): void {
      for (const shard of [...states.keys()]) if (!owned.includes(shard)) states.delete(shard);
    },
    /** Keys held in memory, over all shards. */
    get size(): number {
      let n = 0;
      for (const s of states.values()) n += s.index.size;
      return n;
    },
  };
}

export type EventLedger = ReturnType<typeof createEventLedger>;
