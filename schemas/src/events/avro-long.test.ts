import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactLongType } from './avro-long.js';
import { MAX_ABS_VALUE } from './limits.js';

const MAX = BigInt(MAX_ABS_VALUE);
const long = avro.Type.forSchema('long', { typeHook: (s) => (s === 'long' ? exactLongType : undefined) });

/** An Avro long (zigzag varint) built from a BigInt, so no float arithmetic is involved. */
function avroLong(n: bigint): Buffer {
  let zz = n >= 0n ? n * 2n : -n * 2n - 1n;
  const bytes: number[] = [];
  while (zz >= 0x80n) {
    bytes.push(Number((zz & 0x7fn) | 0x80n));
    zz >>= 7n;
  }
  bytes.push(Number(zz));
  return Buffer.from(bytes);
}

describe('exact Avro long', () => {
  it('decodes every long within ±(2^53-1) exactly and refuses every other', () => {
    const edges = [0n, 1n, -1n, MAX, -MAX, MAX + 1n, -MAX - 1n, MAX + 2n, -MAX - 2n, 2n ** 63n - 1n, -(2n ** 63n)];
    const anyLong = fc.oneof(
      fc.bigInt({ min: -MAX, max: MAX }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(...edges),
    );
    fc.assert(
      fc.property(anyLong, (n) => {
        const buf = avroLong(n);
        if (n > MAX || n < -MAX) expect(() => long.fromBuffer(buf)).toThrow(/outside/);
        else expect(long.fromBuffer(buf)).toBe(Number(n));
      }),
      { numRuns: 2000, examples: edges.map((e) => [e]) },
    );
  });

  it('writes what it reads', () => {
    for (const n of [0, 1, -1, MAX_ABS_VALUE, -MAX_ABS_VALUE, -(2 ** 52) - 1, 2 ** 40 + 3]) {
      expect(long.fromBuffer(long.toBuffer(n))).toBe(n);
      expect(long.toBuffer(n)).toEqual(avroLong(BigInt(n)));
    }
  });
});
