import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_BYTES, EventIdIndex, encodeEntries, ledgerKey } from './event-id-index.js';

describe('ledger keys', () => {
  it('are 16 bytes, scoped to the user', () => {
    expect(ledgerKey('u1', 'e1')).toHaveLength(16);
    expect(ledgerKey('u1', 'e1')).toEqual(ledgerKey('u1', 'e1'));
    expect(ledgerKey('u1', 'e1')).not.toEqual(ledgerKey('u2', 'e1'));
    // the separator keeps ("ab", "c") and ("a", "bc") apart
    expect(ledgerKey('ab', 'c')).not.toEqual(ledgerKey('a', 'bc'));
  });

  it('pack with their log times into 20 bytes each', () => {
    const bytes = encodeEntries([
      { key: ledgerKey('u', 'a'), seconds: 7 },
      { key: ledgerKey('u', 'b'), seconds: 4_000_000_000 },
    ]);
    expect(bytes).toHaveLength(2 * ENTRY_BYTES);
    expect(bytes.subarray(0, 16)).toEqual(ledgerKey('u', 'a'));
    expect(bytes.readUInt32BE(36)).toBe(4_000_000_000);
  });
});

describe('EventIdIndex', () => {
  it('answers like a Map of keys to their newest time, through growth and pruning', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('set' as const), id: fc.nat(3_000), seconds: fc.nat(1_000) }),
            fc.record({ op: fc.constant('prune' as const), seconds: fc.nat(1_000) }),
          ),
          { maxLength: 400 },
        ),
        (ops) => {
          const index = new EventIdIndex(4);
          const oracle = new Map<number, number>();
          for (const op of ops) {
            if (op.op === 'set') {
              index.set(ledgerKey('u', String(op.id)), 0, op.seconds);
              oracle.set(op.id, op.seconds);
            } else {
              index.retainSince(op.seconds);
              for (const [id, s] of oracle) if (s < op.seconds) oracle.delete(id);
            }
          }
          expect(index.size).toBe(oracle.size);
          for (let id = 0; id <= 3_000; id += 7) {
            expect(index.timeOf(ledgerKey('u', String(id)))).toBe(oracle.get(id) ?? -1);
          }
          for (const [id, s] of oracle) expect(index.timeOf(ledgerKey('u', String(id)))).toBe(s);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('loads the entries of ledger rows, later rows replacing earlier times', () => {
    const index = new EventIdIndex();
    index.addEntries(encodeEntries([{ key: ledgerKey('u', 'a'), seconds: 10 }]));
    index.addEntries(
      encodeEntries([
        { key: ledgerKey('u', 'a'), seconds: 50 },
        { key: ledgerKey('u', 'b'), seconds: 20 },
      ]),
    );
    expect(index.size).toBe(2);
    expect(index.timeOf(ledgerKey('u', 'a'))).toBe(50);
    expect(index.timeOf(ledgerKey('u', 'b'))).toBe(20);
    expect(index.timeOf(ledgerKey('u', 'c'))).toBe(-1);
  });

  it('keeps 100,000 keys apart', () => {
    const index = new EventIdIndex();
    for (let i = 0; i < 100_000; i++) index.set(ledgerKey('u', `e${i}`), 0, i);
    expect(index.size).toBe(100_000);
    for (let i = 0; i < 100_000; i += 997) expect(index.timeOf(ledgerKey('u', `e${i}`))).toBe(i);
    expect(index.timeOf(ledgerKey('v', 'e1'))).toBe(-1);
  });
});
