import type { FoldedTotal, RemovedTotal, StoredTotal, TotalId } from './domain/batch-fold.js';

/**
 * The committed totals of the partitions this instance projects, so that a batch loads from
 * PostgreSQL only the totals it has not seen yet (the load was ~15 % of a batch's PostgreSQL time).
 *
 * Each partition's entries are tagged with the checkpoint they describe: the partition's state after
 * the last batch this instance committed. A batch reads its checkpoint under the partition's row
 * lock; if that is not the tag, someone else moved the partition (another instance after a
 * rebalance, a replay that reset the projections, a commit whose outcome we never learnt) and the
 * partition's entries are dropped. Since a checkpoint fully decides the totals (the fold is
 * deterministic over the log up to it), entries that pass the check are exact, which the rank
 * bucket deltas rely on. Entries change only after COMMIT.
 *
 * Bounded: past `maxEntries` the least recently written entries go (a later batch reloads them).
 *
 * A partition first seen with nothing committed (a new projection, a replay from the start) also
 * keeps the users it has written totals for. Keys are the user, so a user's events share its
 * partition, and a total of a user it never wrote is new: nothing to load, which spares a backlog
 * one fruitless index probe per new total. Should another partition have written it after all (a
 * producer that keys by something else), the write's compare-and-set refuses it, and the partition
 * loads like any other from then on. Up to 4 × `maxEntries` users per partition are kept (user ids
only, shared with the cached rows); past that, the partition loads every miss.
 */
export function createTotalsCache(maxEntries: number) {
  interface Entry {
    checkpoint: number;
    totals: Map<string, StoredTotal>;
    /** Every user this partition has written a total for since nothing was committed; or unknown. */
    users: Set<string> | undefined;
  }
  const partitions = new Map<number, Entry>();
  /** Partitions whose totals another partition wrote: their misses are always loaded. */
  const shared = new Set<number>();
  let size = 0;

  function drop(partition: number): void {
    size -= partitions.get(partition)?.totals.size ?? 0;
    partitions.delete(partition);
  }

  function reset(partition: number, checkpoint: number, nothingCommitted: boolean): Entry {
    drop(partition);
    const tracksUsers = nothingCommitted && maxEntries > 0 && !shared.has(partition);
    const entry = {
      checkpoint,
      totals: new Map<string, StoredTotal>(),
      users: tracksUsers ? new Set<string>() : undefined,
    };
    partitions.set(partition, entry);
    return entry;
  }

  return {
    /**
     * Splits the totals a batch needs into those known at `checkpoint`, those to load, and (left out
     * of both) those that cannot exist yet. `nothingCommitted`: the partition's stored checkpoint
     * says no batch of it was ever committed to this projection.
     */
    lookup(
      partition: number,
      checkpoint: number,
      ids: ReadonlyMap<string, TotalId>,
      nothingCommitted: boolean,
    ): { known: Map<string, StoredTotal>; missing: TotalId[] } {
      let entry = partitions.get(partition);
      if (entry === undefined || entry.checkpoint !== checkpoint) {
        entry = reset(partition, checkpoint, nothingCommitted);
      }
      const { users } = entry;
      const known = new Map<string, StoredTotal>();
      const missing: TotalId[] = [];
      for (const [key, id] of ids) {
        const total = entry.totals.get(key);
        if (total !== undefined) known.set(key, total);
        else if (users === undefined || users.has(id.userId)) missing.push(id);
      }
      return { known, missing };
    },

    /** After COMMIT of the batch that started at `checkpoint` and moved the partition to `nextOffset`. */
    committed(
      partition: number,
      checkpoint: number,
      nextOffset: number,
      rows: readonly FoldedTotal[],
      removed: readonly RemovedTotal[] = [],
    ): void {
      if (maxEntries === 0) return;
      let entry = partitions.get(partition);
      if (entry === undefined || entry.checkpoint !== checkpoint) entry = reset(partition, checkpoint, false);
      const { users } = entry;
      for (const row of rows) {
        const key = row.key;
        // Delete first so that Map order stays "least recently written first" for eviction.
        if (entry.totals.delete(key)) size--;
        entry.totals.set(key, row);
        size++;
        users?.add(row.userId);
      }
      // A removed total is stored nowhere: the next batch that touches it finds it missing and new.
      for (const row of removed) if (entry.totals.delete(row.key)) size--;
      if (users !== undefined && users.size > 4 * maxEntries) entry.users = undefined;
      entry.checkpoint = nextOffset;
      for (const key of entry.totals.keys()) {
        if (size <= maxEntries) break;
        entry.totals.delete(key);
        size--;
      }
    },

    /**
     * Drops a partition's entries: one of them turned out stale, or a total it took for new existed
     * (another partition wrote it). Either way its users' totals are not all its own.
     */
    forget(partition: number): void {
      drop(partition);
      shared.add(partition);
    },

    /**
     * After an assignment: forgets the partitions this instance no longer owns. Their entries would
     * hold memory and, counted in the bound, crowd out the owned partitions' entries; and should a
     * partition come back at the very checkpoint it left (a replay on another instance), nothing
     * stale may be there to match it.
     */
    retainOnly(owned: readonly number[]): void {
      for (const partition of [...partitions.keys()]) if (!owned.includes(partition)) drop(partition);
    },

    /** Entries held, over all partitions. */
    get size() {
      return size;
    },
  };
}

export type TotalsCache = ReturnType<typeof createTotalsCache>;
