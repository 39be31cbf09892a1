import type { BatchWrite } from '../src/domain/ports.js';

/** A batch's write with only the named parts (a checkpoint at offset 0 unless given). */
export function batchWrite(parts: Partial<BatchWrite>): BatchWrite {
  return {
    totals: [],
    rankBuckets: [],
    profiles: [],
    ledger: [],
    prune: [],
    checkpoint: { nextOffset: 0, logEndOffset: 0, caughtUp: false },
    ...parts,
  };
}
