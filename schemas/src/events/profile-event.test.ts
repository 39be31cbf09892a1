import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avroTypeOptions } from './avro-long.js';
import { MAX_OCCURRED_AT, MIN_OCCURRED_AT } from './limits.js';
import { profileEventAvsc, profileEventSchema } from './profile-event.js';

const avsc = avro.Type.forSchema(profileEventAvsc as avro.Schema, avroTypeOptions);
const userIdChar = fc.constantFrom(...'ABCXYZabcxyz0189_.:@-');

const candidate = fc.record(
  {
    eventId: fc.string({ minLength: 1, maxLength: 128, unit: 'binary' }),
    userId: fc.oneof(fc.string({ unit: userIdChar, minLength: 1, maxLength: 64 }), fc.constant('no spaces')),
    username: fc.string({ minLength: 0, maxLength: 33, unit: 'binary' }),
    imageUrl: fc.oneof(fc.constant(null), fc.webUrl(), fc.constant('ftp://example.com/a.png')),
    region: fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 64, unit: 'binary' })),
    occurredAt: fc.integer({ min: MIN_OCCURRED_AT, max: MAX_OCCURRED_AT }),
    extraField: fc.integer(),
  },
  { requiredKeys: ['eventId', 'userId', 'username', 'occurredAt'] },
);

describe('profile event: zod against Avro', () => {
  it('encodes whatever the Kafka-level zod schema accepts with Avro and decodes it back equal', () => {
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (raw) => {
        const parsed = profileEventSchema.safeParse(raw);
        if (!parsed.success) return;
        accepted++;
        const decoded = avsc.fromBuffer(avsc.toBuffer(parsed.data));
        expect(decoded).toEqual(parsed.data);
        expect(profileEventSchema.parse(decoded)).toEqual(parsed.data);
      }),
      { numRuns: 500 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});
