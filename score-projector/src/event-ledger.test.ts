import type { ScoreEvent } from '@rankstream/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate } from './domain/batch-plan.js';
import type { LedgerHead, LedgerRow, PartitionTransaction } from './domain/ports.js';
import { createEventLedger, type EventLedger } from './event-ledger.js';

const T0 = 1_764_000_000_000;
const HOUR = 3_600;

/** PostgreSQL's side of the ledger, in memory: rows per shard and each shard's head and epoch. */
function fakeLedgerTable() {
  const rows: LedgerRow[] = [];
  const heads = new Map<number, LedgerHead>();
  return {
    rows,
    heads,
    /** What a batch transaction over these shards sees and does. */
    async batch(ledger: EventLedger, candidates: Candidate[], legacy: ReadonlySet<string> = new Set()) {
      const shards = ledger.shardsOf(candidates.map((c) => (c.decoded.event as ScoreEvent).userId));
      const locked = new Map(shards.map((s) => [s, heads.get(s) ?? { head: 0, epoch: 1 }]));
      const tx = {
        ledgerHeads: locked,
        async ledgerRows(since: readonly { shard: number; after: number }[]) {
          return rows.filter((r) => since.some((s) => s.shard === r.shard && r.seq > s.after));
        },
      } as unknown as PartitionTransaction;
      await ledger.sync(tx);
      const decision = ledger.decide(candidates, legacy);
      for (const row of decision.ledger) {
        rows.push(row);
        heads.set(row.shard, { head: row.seq, epoch: locked.get(row.shard)?.epoch ?? 1 });
      }
      decision.committed();
      return decision.fresh.map((c) => c.offset);
    },
  };
}

let nextOffset = 0;
function candidate(userId: string, eventId: string, seconds = 0): Candidate {
  const event: ScoreEvent = {
    eventId,
    userId,
    board: 'global',
    op: 'add',
    value: 1,
    occurredAt: T0,
    periods: [],
    source: null,
    metadata: null,
    limits: null,
    calendar: null,
    tiebreaks: [],
    region: null,
  };
  return { offset: nextOffset++, timestamp: T0 + seconds * 1000, decoded: { kind: 'score', event } };
}

describe('the event ledger', () => {
  it('applies an eventId once per user, within a batch and across batches', async () => {
    const table = fakeLedgerTable();
    const ledger = createEventLedger({ shards: 3, windowSeconds: null });
    const a = candidate('u1', 'e1');
    const b = candidate('u1', 'e1');
    const c = candidate('u2', 'e1'); // another user's e1 is another event
    expect(await table.batch(ledger, [a, b, c])).toEqual([a.offset, c.offset]);
    expect(await table.batch(ledger, [candidate('u1', 'e1', 9 * 86_400), candidate('u2', 'e2')])).toHaveLength(1);
  });

  it('sees what another instance recorded in a shard, and starts over when the ledger was emptied', async () => {
    const table = fakeLedgerTable();
    const mine = createEventLedger({ shards: 1, windowSeconds: null });
    const other = createEventLedger({ shards: 1, windowSeconds: null });
    await table.batch(mine, [candidate('u', 'a')]);
    await table.batch(other, [candidate('u', 'b')]); // a rebalance: the other instance moved the shard on
    expect(await table.batch(mine, [candidate('u', 'a'), candidate('u', 'b')])).toEqual([]);

    // a replay emptied the ledger and recreated the checkpoint row: a new epoch, the same head
    table.rows.length = 0;
    table.heads.set(0, { head: 2, epoch: 7 });
    table.rows.push({ shard: 0, seq: 2, entries: Buffer.alloc(0) });
    const again = candidate('u', 'a');
    expect(await table.batch(mine, [again])).toEqual([again.offset]);
  });

  it('leaves out what the per-event ledger of earlier versions recorded', async () => {
    const table = fakeLedgerTable();
    const ledger = createEventLedger({ shards: 2, windowSeconds: null });
    const old = candidate('u', 'old');
    const fresh = candidate('u', 'new');
    expect(await table.batch(ledger, [old, fresh], new Set(['old']))).toEqual([fresh.offset]);
  });

  it('with a window, counts a repeat within it once and a repeat past it again', async () => {
    const table = fakeLedgerTable();
    const ledger = createEventLedger({ shards: 1, windowSeconds: HOUR });
    const first = candidate('u', 'e', 0);
    const atEdge = candidate('u', 'e', HOUR);
    const past = candidate('u', 'e', HOUR + 1);
    const withinPast = candidate('u', 'e', 2 * HOUR);
    expect(await table.batch(ledger, [first])).toEqual([first.offset]);
    expect(await table.batch(ledger, [atEdge, past, withinPast])).toEqual([past.offset]);
  });

  it('counts once an event whose timestamp 4 bytes of seconds cannot hold (-1, or microseconds)', async () => {
    const table = fakeLedgerTable();
    const ledger = createEventLedger({ shards: 1, windowSeconds: HOUR });
    const early = { ...candidate('u', 'neg'), timestamp: -1 };
    const late = { ...candidate('u', 'micro'), timestamp: Date.UTC(2026, 0, 1) * 1000 };
    expect(await table.batch(ledger, [early, { ...early, offset: 90 }, late])).toEqual([early.offset, late.offset]);
    expect(await table.batch(ledger, [{ ...late, offset: 91 }])).toEqual([]);
  });

  it('does not let a timestamp in the future prune what the window still needs', async () => {
    const table = fakeLedgerTable();
    const ledger = createEventLedger({ shards: 1, windowSeconds: HOUR, now: () => T0 });
    const first = candidate('u', 'a', 0);
    await table.batch(ledger, [first]);
    await table.batch(ledger, [candidate('u', 'future', 30 * 86_400)]);
    expect(await table.batch(ledger, [candidate('u', 'a', 600)])).toEqual([]);
  });

  it('decides the same whatever the batch boundaries (a replay decides as the live run did)', async () => {
    const stream = fc.array(
      fc.record({ user: fc.integer({ min: 0, max: 3 }), id: fc.integer({ min: 0, max: 6 }), step: fc.nat(HOUR) }),
      { minLength: 1, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(stream, fc.array(fc.nat(60), { maxLength: 8 }), fc.boolean(), async (events, cuts, windowed) => {
        const windowSeconds = windowed ? HOUR : null;
        let seconds = 0;
        const candidates = events.map((e) => {
          seconds += e.step;
          return candidate(`u${e.user}`, `e${e.id}`, seconds);
        });
        // the oracle: the rule itself, over the whole log at once
        const applied = new Map<string, number>();
        const expected: number[] = [];
        for (const c of candidates) {
          const key = `${(c.decoded.event as ScoreEvent).userId}/${c.decoded.event.eventId}`;
          const t = Math.floor(c.timestamp / 1000);
          const last = applied.get(key);
          if (last !== undefined && (windowSeconds === null || last >= t - windowSeconds)) continue;
          applied.set(key, t);
          expected.push(c.offset);
        }
        const table = fakeLedgerTable();
        const ledger = createEventLedger({ shards: 2, windowSeconds });
        const bounds = [...new Set([0, ...cuts.map((c) => Math.min(c, candidates.length)), candidates.length])].sort(
          (a, b) => a - b,
        );
        const got: number[] = [];
        for (let i = 1; i < bounds.length; i++) {
          got.push(...(await table.batch(ledger, candidates.slice(bounds[i - 1], bounds[i]))));
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
