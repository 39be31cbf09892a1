import type { FoldedTotal, StoredTotal, TotalId } from './domain/batch-fold.js';

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
 */
export function createTotalsCache(maxEntries: number) {
  const partitions = new Map<number, { checkpoint: number; totals: Map<string, StoredTotal> }>();
  let size = 0;

  function forget(partition: number): void {
    size -= partitions.get(partition)?.totals.size ?? 0;
    partitions.delete(partition);
  }

  function reset(partition: number, checkpoint: number) {
    forget(partition);
    const entry = { checkpoint, totals: new Map<string, StoredTotal>() };
    partitions.set(partition, entry);
    return entry;
  }

  return {
    /** Splits the totals a batch needs into those known at `checkpoint` and those to load. */
    lookup(
      partition: number,
      checkpoint: number,
      ids: ReadonlyMap<string, TotalId>,
    ): { known: Map<string, StoredTotal>; missing: TotalId[] } {
      let entry = partitions.get(partition);
      if (entry === undefined || entry.checkpoint !== checkpoint) entry = reset(partition, checkpoint);
      const known = new Map<string, StoredTotal>();
      const missing: TotalId[] = [];
      for (const [key, id] of ids) {
        const total = entry.totals.get(key);
        if (total === undefined) missing.push(id);
        else known.set(key, total);
      }
      return { known, missing };
    },

    /** After COMMIT of the batch that started at `checkpoint` and moved the partition to `nextOffset`. */
    committed(partition: number, checkpoint: number, nextOffset: number, rows: readonly FoldedTotal[]): void {
      if (maxEntries === 0) return;
      let entry = partitions.get(partition);
      if (entry === undefined || entry.checkpoint !== checkpoint) entry = reset(partition, checkpoint);
      for (const row of rows) {
        const key = row.key;
        // Delete first so that Map order stays "least recently written first" for eviction.
        if (entry.totals.delete(key)) size--;
        entry.totals.set(key, row);
        size++;
      }
      entry.checkpoint = nextOffset;
      for (const key of entry.totals.keys()) {
        if (size <= maxEntries) break;
        entry.totals.delete(key);
        size--;
      }
    },

    /** Drops a partition's entries: one of them turned out stale (another partition wrote that total). */
    forget,

    /**
     * After an assignment: forgets the partitions this instance no longer owns. Their entries would
     * hold memory and, counted in the bound, crowd out the owned partitions' entries; and should a
     * partition come back at the very checkpoint it left (a replay on another instance), nothing
     * stale may be there to match it.
     */
    retainOnly(owned: readonly number[]): void {
      for (const partition of [...partitions.keys()]) if (!owned.includes(partition)) forget(partition);
    },

    /** Entries held, over all partitions. */
    get size() {
      return size;
    },
  };
}

export type TotalsCache = ReturnType<typeof createTotalsCache>;
