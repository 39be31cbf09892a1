import { MAX_ABS_VALUE, MIN_OCCURRED_AT } from '@rankstream/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auth, fakeDeps, KEYS } from '../../test/fake-deps.js';
import { createApp } from '../app.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const SKEW = 5 * 60_000;

const userIdChar = fc.constantFrom(...'ABCXYZabcxyz0189_.:@-');
const validItem = fc.record(
  {
    eventId: fc.string({ minLength: 1, maxLength: 128 }),
    userId: fc.string({ unit: userIdChar, minLength: 1, maxLength: 64 }),
    board: fc.constantFrom('global', 'b1', 'x.y:z-1'),
    op: fc.constantFrom('add', 'set', 'max', 'min', 'best'),
    value: fc.integer({ min: -MAX_ABS_VALUE, max: MAX_ABS_VALUE }),
    occurredAt: fc.oneof(
      fc.integer({ min: MIN_OCCURRED_AT + 1, max: NOW + SKEW }),
      fc.integer({ min: MIN_OCCURRED_AT + 1000, max: NOW + SKEW }).map((ms) => new Date(ms).toISOString()),
    ),
    source: fc.string({ maxLength: 128 }),
    metadata: fc.jsonValue({ maxDepth: 2 }).filter((v) => JSON.stringify(v).length <= 1024),
  },
  { requiredKeys: ['userId', 'value'] },
);

/** One field broken in a way the HTTP contract refuses; `field` is what the error must name. */
const KNOWN = new Set(['eventId', 'userId', 'board', 'op', 'value', 'occurredAt', 'source', 'metadata', 'events']);
const breakage: fc.Arbitrary<{ field: string; value: unknown }> = fc.oneof(
  fc.record({ field: fc.constant('eventId'), value: fc.constantFrom('', 'e'.repeat(129), 5, null, ['a']) }),
  fc.record({
    field: fc.constant('userId'),
    value: fc.constantFrom('', 'has space', 'u'.repeat(65), 7, null, undefined),
  }),
  fc.record({ field: fc.constant('board'), value: fc.constantFrom('UPPER', '', 'b'.repeat(65), 1, null) }),
  fc.record({ field: fc.constant('op'), value: fc.constantFrom('ADD', 'best2', 'inc', 1, null) }),
  fc.record({
    field: fc.constant('value'),
    value: fc.constantFrom('5', 1.5, MAX_ABS_VALUE + 1, -MAX_ABS_VALUE - 1, null, true, undefined, 1e300),
  }),
  fc.record({
    field: fc.constant('occurredAt'),
    value: fc.constantFrom(
      '2026-13-01T00:00:00Z',
      'yesterday',
      '2026-11-23 12:00:00',
      1.5,
      true,
      null,
      MIN_OCCURRED_AT,
      '1999-12-31T23:59:59Z',
      NOW + SKEW + 1,
      new Date(NOW + SKEW + 1000).toISOString(),
    ),
  }),
  fc.record({ field: fc.constant('source'), value: fc.constantFrom('s'.repeat(129), 5, null) }),
  fc.record({ field: fc.constant('metadata'), value: fc.constant({ blob: 'm'.repeat(1100) }) }),
  fc.record({
    field: fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !KNOWN.has(k) && k !== '__proto__'),
    value: fc.jsonValue({ maxDepth: 1 }),
  }),
);

function world() {
  const w = fakeDeps({ now: () => NOW });
  return { ...w, app: createApp(w.deps) };
}

function post(app: ReturnType<typeof createApp>, body: unknown) {
  return app.request('/v1/events', { method: 'POST', headers: auth(KEYS.ingest), body: JSON.stringify(body) });
}

describe('POST /v1/events against its schema (property)', () => {
  it('answers 400 naming the field for any one broken field, in a single body or anywhere in a batch, publishing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validItem, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        breakage,
        fc.boolean(),
        async (items, at, broken, single) => {
          const { app, publisher } = world();
          const index = single ? 0 : at % items.length;
          const distinct = items.map((item, i) => ({ ...item, eventId: `${i}:${item.eventId ?? 'x'}`.slice(0, 128) }));
          const target: Record<string, unknown> = { ...distinct[index] };
          if (broken.value === undefined) delete target[broken.field];
          else target[broken.field] = broken.value;
          distinct[index] = target as (typeof distinct)[number];
          const res = await post(app, single ? distinct[0] : { events: distinct });
          expect(res.status).toBe(400);
          const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
          expect(body.error.code).toBe('invalid_request');
          const path = single ? broken.field : `events.${index}.${broken.field}`;
          expect(body.error.details.map((d) => d.path)).toContain(path);
          expect(publisher.published).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts any batch of valid events with distinct eventIds, publishing each as given in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validItem, { minLength: 1, maxLength: 20 }), async (items) => {
        const { app, publisher } = world();
        const distinct = items.map((item, i) =>
          item.eventId === undefined ? item : { ...item, eventId: `${i}:${item.eventId}`.slice(0, 128) },
        );
        const res = await post(app, { events: distinct });
        expect(res.status).toBe(202);
        const published = publisher.published.map((e) => e.event as Record<string, unknown>);
        expect(published).toHaveLength(distinct.length);
        distinct.forEach((item, i) => {
          const event = published[i]!;
          expect(event.userId).toBe(item.userId);
          expect(event.value).toBe(item.value);
          expect(event.board).toBe(item.board ?? 'global');
          if (item.eventId !== undefined) expect(event.eventId).toBe(item.eventId);
          const expectedAt =
            item.occurredAt === undefined
              ? NOW
              : typeof item.occurredAt === 'number'
                ? item.occurredAt
                : Date.parse(item.occurredAt);
          expect(event.occurredAt).toBe(expectedAt);
          // Every board here has the defaults (desc, add): best is max.
          expect(event.op).toBe(item.op === undefined ? 'add' : item.op === 'best' ? 'max' : item.op);
          expect(event.metadata).toBe(
            item.metadata === undefined || item.metadata === null ? null : JSON.stringify(item.metadata),
          );
        });
      }),
      { numRuns: 150 },
    );
  });
});
