import avro from 'avsc';
import { MAX_ABS_VALUE } from './limits.js';

/**
 * avsc's built-in long zigzag-encodes with float arithmetic: values below -2^52 decode to a different
 * number and ±(2^53-1) is refused outright. The contract allows |v| <= 2^53-1 (and a Java producer may
 * write any long), so longs go through BigInt; a long outside the safe range fails to decode rather than
 * silently changing.
 */
export const exactLongType = avro.types.LongType.__with({
  fromBuffer(buf: Buffer): number {
    // In doubles, without a BigInt per value (the projector decodes two longs per event): the sum is
    // exact whenever |n| <= 2^53, and beyond that it rounds to a value past ±MAX all the same.
    const n = buf.readInt32LE(4) * 2 ** 32 + buf.readUInt32LE(0);
    if (n > MAX_ABS_VALUE || n < -MAX_ABS_VALUE) throw new Error(`long ${buf.readBigInt64LE()} is outside ±(2^53-1)`);
    return n;
  },
  toBuffer(n: number): Buffer {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (json: unknown) => Number(json),
  toJSON: (n: number) => n,
  isValid: (n: unknown) => Number.isSafeInteger(n),
  compare: (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1),
});

/** avsc options that swap in the exact long type wherever a schema says "long". */
export const avroTypeOptions = {
  typeHook(schema: unknown): avro.Type | undefined {
    const isLong =
      schema === 'long' ||
      (typeof schema === 'object' &&
        schema !== null &&
        (schema as { type?: unknown }).type === 'long' &&
        !(schema as { logicalType?: unknown }).logicalType);
    return isLong ? exactLongType : undefined;
  },
};
