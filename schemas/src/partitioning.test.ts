import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from './partitioning.js';

describe('partitionForKey', () => {
  it("matches the Java client's murmur2 partitioner on known keys", () => {
    // Computed with kafka-clients' Utils.toPositive(Utils.murmur2(utf8 bytes)) % n.
    const java: [string, number, number][] = [
      ['user-1', 2, 3],
      ['user-42', 4, 1],
      ['player:été', 3, 4],
      ['a', 4, 5],
    ];
    for (const [key, of6, of7] of java) {
      expect(partitionForKey(key, 6)).toBe(of6);
      expect(partitionForKey(key, 7)).toBe(of7);
      expect(partitionForKey(Buffer.from(key), 6)).toBe(of6);
    }
  });

  it("equals kafkajs's DefaultPartitioner, which the ingest API produces with, on any key", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({
          partitionId,
          leader: 0,
          replicas: [0],
          isr: [0],
          partitionErrorCode: 0,
        }));
        expect(partitionForKey(key, n)).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }));
      }),
      { numRuns: 2_000 },
    );
  });

  it('spreads users over every partition and is stable', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 600; i++) {
      const p = partitionForKey(`user-${i}`, 6);
      expect(partitionForKey(`user-${i}`, 6)).toBe(p);
      seen.add(p);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
