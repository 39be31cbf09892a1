import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avroTypeOptions } from './avro-long.js';
import { MAX_ABS_VALUE, MAX_OCCURRED_AT, MIN_OCCURRED_AT, PERIODS, SCORE_OPS } from './limits.js';
import { WEEKDAYS } from './period-calendar.js';
import { scoreEventAvsc, scoreEventFromRecord, scoreEventSchema } from './score-event.js';

const avsc = avro.Type.forSchema(scoreEventAvsc as avro.Schema, avroTypeOptions);

const userIdChar = fc.constantFrom(...'ABCXYZabcxyz0189_.:@-');
const boardChar = fc.constantFrom(...'abcxyz0189_.:-');
/** Mostly valid values, sometimes an invalid one. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 19 }, { arbitrary: invalid, weight: 1 });
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
const calendar = fc.record({
  timeZone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kathmandu', 'Europe/Berlin', 'america/new_york'),
  weekStartsOn: fc.constantFrom(...WEEKDAYS),
});
const sealed = fc
  .string({ unit: fc.constantFrom(...'AZaz09_-'), minLength: 39, maxLength: 60 })
  .map((b) => `enc:v1:${b}`);

/**
 * Candidates near the contract's edges, with a sprinkling of values the contract refuses (so the
 * filter below is exercised too); only what zod accepts must round-trip through Avro.
 */
const candidate = fc.record(
  {
    eventId: mostly(fc.string({ minLength: 1, maxLength: 128, unit: 'binary' }), fc.string({ maxLength: 130 })),
    userId: mostly(fc.string({ unit: userIdChar, minLength: 1, maxLength: 64 }), fc.string({ maxLength: 3 })),
    board: mostly(fc.string({ unit: boardChar, minLength: 1, maxLength: 64 }), fc.constant('Bad Board')),
    op: mostly(fc.constantFrom(...SCORE_OPS), fc.constant('best')),
    value: mostly(
      fc.oneof(
        fc.integer({ min: -MAX_ABS_VALUE, max: MAX_ABS_VALUE }),
        fc.constantFrom(MAX_ABS_VALUE, -MAX_ABS_VALUE, 0),
      ),
      fc.constantFrom(MAX_ABS_VALUE + 1, 1.5),
    ),
    occurredAt: fc.oneof(
      fc.integer({ min: MIN_OCCURRED_AT + 1, max: MAX_OCCURRED_AT }),
      fc.constantFrom(MIN_OCCURRED_AT, MIN_OCCURRED_AT + 1, MAX_OCCURRED_AT),
    ),
    periods: mostly(fc.subarray([...PERIODS]), fc.constant(['daily', 'daily'])),
    source: fc.oneof(fc.constant(null), fc.string({ maxLength: 128, unit: 'binary' })),
    metadata: mostly(fc.oneof(fc.constant(null), json, sealed), fc.constant('{not json')),
    limits: mostly(
      fc.oneof(
        fc.constant(null),
        fc.record({
          maxEventsPerMinute: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 1_000_000 })),
          maxDelta: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: MAX_ABS_VALUE })),
        }),
      ),
      fc.constantFrom({ maxEventsPerMinute: 0, maxDelta: null }, { maxEventsPerMinute: null, maxDelta: -1 }),
    ),
    tiebreaks: mostly(
      fc.array(
        fc.record({
          value: fc.oneof(fc.integer(), fc.constantFrom(MAX_ABS_VALUE, -MAX_ABS_VALUE)),
          op: fc.constantFrom(...SCORE_OPS),
        }),
        { maxLength: 4 },
      ),
      fc.constantFrom([{ value: 1.5, op: 'add' }], [{ value: 1, op: 'best' }], Array(5).fill({ value: 1, op: 'set' })),
    ),
    calendar: mostly(
      fc.oneof(fc.constant(null), calendar),
      fc.constantFrom(
        { timeZone: 'Mars/Olympus', weekStartsOn: 'monday' },
        { timeZone: 'UTC', weekStartsOn: 'Sunday' },
      ),
    ),
    extraField: fc.string(),
  },
  { requiredKeys: ['eventId', 'userId', 'value', 'occurredAt'] },
);

describe('score event: zod against Avro', () => {
  it('encodes whatever the Kafka-level zod schema accepts with Avro and decodes it back equal', () => {
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (raw) => {
        const parsed = scoreEventSchema.safeParse(raw);
        if (!parsed.success) return;
        accepted++;
        const event = parsed.data;
        expect(avsc.isValid(event)).toBe(true);
        const decoded = avsc.fromBuffer(avsc.toBuffer(event));
        expect(decoded).toEqual(event);
        // What the projector does after decoding: the contract accepts it again, unchanged.
        expect(scoreEventSchema.parse(decoded)).toEqual(event);
      }),
      { numRuns: 500 },
    );
    // The generator must mostly produce acceptable events, or the property proves little.
    expect(accepted).toBeGreaterThan(50);
  });

  it('fills the Avro defaults for the fields a direct producer may omit', () => {
    const event = scoreEventSchema.parse({ eventId: 'e1', userId: 'u1', value: 3, occurredAt: MIN_OCCURRED_AT + 1 });
    expect(event).toEqual({
      eventId: 'e1',
      userId: 'u1',
      board: 'global',
      op: 'add',
      value: 3,
      occurredAt: MIN_OCCURRED_AT + 1,
      periods: [],
      source: null,
      metadata: null,
      limits: null,
      calendar: null,
      tiebreaks: [],
      region: null,
    });
    expect(avsc.fromBuffer(avsc.toBuffer(event))).toEqual(event);
  });

  it("carries the extreme values exactly, which avsc's built-in long does not", () => {
    const event = scoreEventSchema.parse({
      eventId: 'e',
      userId: 'u',
      value: -(2 ** 52) - 1,
      occurredAt: MAX_OCCURRED_AT,
    });
    const builtIn = avro.Type.forSchema(scoreEventAvsc as avro.Schema);
    expect((builtIn.fromBuffer(builtIn.toBuffer(event)) as { value: number }).value).not.toBe(event.value);
    expect(avsc.fromBuffer(avsc.toBuffer(event))).toEqual(event);
    for (const value of [MAX_ABS_VALUE, -MAX_ABS_VALUE]) {
      const e = { ...event, value };
      expect(avsc.fromBuffer(avsc.toBuffer(e))).toEqual(e);
    }
  });

  it('refuses to decode a long a foreign producer wrote outside ±(2^53-1)', () => {
    const exact = avro.Type.forSchema('long', avroTypeOptions);
    // 2^60 as an Avro zigzag varint, built by hand so no float arithmetic is involved.
    let zz = 2n ** 61n;
    const bytes: number[] = [];
    while (zz >= 0x80n) {
      bytes.push(Number((zz & 0x7fn) | 0x80n));
      zz >>= 7n;
    }
    bytes.push(Number(zz));
    expect(() => exact.fromBuffer(Buffer.from(bytes))).toThrow(/outside/);
  });

  it('refuses what Avro could not carry exactly', () => {
    const base = { eventId: 'e1', userId: 'u1', occurredAt: MIN_OCCURRED_AT + 1 };
    expect(scoreEventSchema.safeParse({ ...base, value: MAX_ABS_VALUE + 1 }).success).toBe(false);
    expect(scoreEventSchema.safeParse({ ...base, value: 1.5 }).success).toBe(false);
    expect(scoreEventSchema.safeParse({ ...base, value: 1, metadata: 'x'.repeat(1025) }).success).toBe(false);
  });
});

/** Mostly valid; otherwise at an edge, of the wrong type or missing, so both answers of the fast path are exercised. */
const edgy = <T>(valid: fc.Arbitrary<T>, ...edges: unknown[]) =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
const anyRecord = fc.record({
  eventId: edgy(fc.string({ maxLength: 130, unit: 'binary' }), '', 'x'.repeat(128), 'x'.repeat(129)),
  userId: edgy(fc.string({ unit: userIdChar, maxLength: 66 }), 'a b', 'ü', 'a\n'),
  board: edgy(fc.string({ unit: boardChar, maxLength: 66 }), 'Global', undefined, 7),
  op: edgy(fc.constantFrom(...SCORE_OPS), 'best', undefined),
  value: edgy(
    fc.integer({ min: -MAX_ABS_VALUE, max: MAX_ABS_VALUE }),
    MAX_ABS_VALUE,
    -MAX_ABS_VALUE,
    MAX_ABS_VALUE + 1,
    -MAX_ABS_VALUE - 1,
    1.5,
    -0,
    Number.NaN,
    '1',
  ),
  occurredAt: edgy(
    fc.integer({ min: MIN_OCCURRED_AT - 2, max: MAX_OCCURRED_AT + 2 }),
    MIN_OCCURRED_AT,
    MIN_OCCURRED_AT + 1,
    MAX_OCCURRED_AT,
    MAX_OCCURRED_AT + 1,
    2e12 + 0.5,
  ),
  periods: edgy(
    fc.subarray([...PERIODS]).chain((ps) => fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length })),
    ['daily', 'daily'],
    ['hourly'],
    'daily',
    undefined,
    ['daily', 'weekly', 'monthly', 'daily'],
  ),
  source: edgy(
    fc.oneof(fc.constant(null), fc.string({ maxLength: 130, unit: 'binary' })),
    undefined,
    'x'.repeat(128),
    'x'.repeat(129),
  ),
  metadata: edgy(
    fc.oneof(fc.constant(null), json),
    '{not json',
    `"${'é'.repeat(511)}"`,
    `"${'é'.repeat(512)}"`,
    `"${'x'.repeat(1022)}"`,
    3,
  ),
  tiebreaks: edgy(
    fc.array(fc.record({ value: fc.integer(), op: fc.constantFrom(...SCORE_OPS) }), { maxLength: 4 }),
    undefined,
    [{ value: MAX_ABS_VALUE + 1, op: 'add' }],
    [{ value: 1, op: 'avg' }],
    Array(5).fill({ value: 1, op: 'set' }),
    'none',
  ),
  calendar: edgy(
    fc.oneof(fc.constant(null), calendar),
    undefined,
    { timeZone: 'Mars/Olympus', weekStartsOn: 'monday' },
    { timeZone: 'UTC', weekStartsOn: 'someday' },
    { timeZone: '', weekStartsOn: 'monday' },
    'UTC',
  ),
});

describe('score event: the fast path for decoded records', () => {
  it('gives exactly what zod gives whenever it answers, and answers for every valid record', () => {
    let answered = 0;
    fc.assert(
      fc.property(anyRecord, (record) => {
        const fast = scoreEventFromRecord(record);
        const parsed = scoreEventSchema.safeParse(record);
        if (fast === undefined) {
          // A record with every field present and zod's approval must take the fast path.
          const complete = Object.values(record).every((v) => v !== undefined);
          if (complete) expect(parsed.success).toBe(false);
          return;
        }
        answered++;
        expect(parsed.success).toBe(true);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
        expect(fast).toStrictEqual(parsed.data);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(100);
  });

  it('answers for what Avro decodes', () => {
    const event = scoreEventSchema.parse({
      eventId: 'e1',
      userId: 'u1',
      board: 'b',
      value: -(2 ** 52) - 1,
      occurredAt: MIN_OCCURRED_AT + 1,
      periods: ['weekly', 'daily'],
      metadata: '{"a":1}',
      calendar: { timeZone: 'America/New_York', weekStartsOn: 'sunday' },
      tiebreaks: [
        { value: -(2 ** 52) - 3, op: 'min' },
        { value: 7, op: 'add' },
      ],
    });
    expect(scoreEventFromRecord(avsc.fromBuffer(avsc.toBuffer(event)))).toStrictEqual(event);
  });
});
