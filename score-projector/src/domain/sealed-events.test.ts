import { randomBytes } from 'node:crypto';
import { type ScoreEvent, sealText } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import type { Candidate } from './batch-plan.js';
import { openSealedEvents, sealedEventUsers } from './sealed-events.js';

const key = randomBytes(32);
const seal = (userId: string, text: string) => sealText(key, userId, text, randomBytes(12));

function profile(offset: number, userId: string, username: string, region: string | null = null): Candidate {
  return {
    offset,
    timestamp: 0,
    decoded: {
      kind: 'profile',
      event: { eventId: `p${offset}`, userId, username, imageUrl: null, region, occurredAt: 1 },
    },
  };
}

function score(offset: number, userId: string, metadata: string | null): Candidate {
  const event: ScoreEvent = {
    eventId: `s${offset}`,
    userId,
    board: 'global',
    op: 'add',
    value: 1,
    occurredAt: 1,
    periods: [],
    source: null,
    metadata,
    limits: null,
    calendar: null,
    tiebreaks: [],
    region: null,
  };
  return { offset, timestamp: 0, decoded: { kind: 'score', event } };
}

const metadataOf = (c: Candidate) => (c.decoded.kind === 'score' ? c.decoded.event.metadata : undefined);

describe('sealed events', () => {
  it('opens sealed profile fields with the user key, keeps plain ones, and leaves out what no key opens', () => {
    const events = [
      profile(1, 'plain', 'Bob'),
      profile(2, 'kept', seal('kept', 'Ada'), seal('kept', 'eu')),
      profile(3, 'erased', seal('erased', 'Eve')),
      profile(4, 'moved', seal('kept', 'Mallory')),
    ];
    expect(sealedEventUsers(events)).toEqual(['kept', 'erased', 'moved']);
    const { events: opened, unreadable } = openSealedEvents(
      events,
      new Map([
        ['kept', key],
        ['moved', key],
      ]),
    );
    expect(unreadable).toBe(2);
    expect(
      opened.map((c) => (c.decoded.kind === 'profile' ? [c.decoded.event.username, c.decoded.event.region] : [])),
    ).toEqual([
      ['Bob', null],
      ['Ada', 'eu'],
    ]);
    expect(opened[0]).toBe(events[0]);
  });

  it('opens sealed score metadata, and keeps the event without metadata when nothing opens it to JSON', () => {
    const events = [
      score(1, 'plain', '{"lap":1}'),
      score(2, 'kept', seal('kept', '{"car":"red"}')),
      score(3, 'erased', seal('erased', '{"car":"blue"}')),
      score(4, 'kept', seal('kept', 'not json')),
      score(5, 'kept', null),
    ];
    expect(sealedEventUsers(events)).toEqual(['kept', 'erased']);
    const { events: opened, unreadable } = openSealedEvents(events, new Map([['kept', key]]));
    expect(unreadable).toBe(2);
    expect(opened.map(metadataOf)).toEqual(['{"lap":1}', '{"car":"red"}', null, null, null]);
    expect(opened[0]).toBe(events[0]);
  });
});
