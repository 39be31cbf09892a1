import type { DecodedEvent } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import { type DecodedMessage, planBatch } from './batch-plan.js';

const T0 = 1_764_000_000_000;

function score(eventId: string, userId: string, value = 1): DecodedEvent {
  return {
    kind: 'score',
    event: {
      eventId,
      userId,
      board: 'global',
      op: 'add',
      value,
      occurredAt: T0,
      periods: [],
      source: null,
      metadata: null,
      limits: null,
      calendar: null,
      tiebreaks: [],
      region: null,
    },
  };
}

const msg = (
  offset: number,
  decoded: DecodedEvent,
  key = decoded.kind === 'board' ? decoded.event.board : decoded.event.userId,
  timestamp = T0,
): DecodedMessage => ({
  offset,
  timestamp,
  key,
  decoded,
});

describe('planBatch', () => {
  it('drops the messages before the checkpoint (a redelivery) and keeps the rest in offset order', () => {
    const plan = planBatch([msg(5, score('a', 'u')), msg(6, score('b', 'u')), msg(7, score('c', 'u'))], 6);
    expect(plan.candidates.map((c) => c.offset)).toEqual([6, 7]);
    expect(plan.deadLetters).toEqual([]);
  });

  it('dead-letters a poison message and an event keyed by another user, and never remembers the latter', () => {
    const poison: DecodedMessage = {
      offset: 2,
      timestamp: T0,
      key: 'u',
      poison: { reason: 'not_wire_format', message: 'bad', details: [] },
    };
    const plan = planBatch([msg(1, score('a', 'u')), poison, msg(3, score('b', 'u'), 'v'), msg(4, score('b', 'u'))], 0);
    expect(plan.deadLetters.map((d) => [d.offset, d.reason])).toEqual([
      [2, 'not_wire_format'],
      [3, 'key_mismatch'],
    ]);
    // The correctly keyed event with the same id as the refused one still applies.
    expect(plan.candidates.map((c) => c.offset)).toEqual([1, 4]);
  });

  it('does not dead-letter again what was dead-lettered before the checkpoint', () => {
    const poison: DecodedMessage = {
      offset: 2,
      timestamp: T0,
      key: null,
      poison: { reason: 'undecodable', message: 'x', details: [] },
    };
    expect(planBatch([poison, msg(3, score('a', 'u'))], 3).deadLetters).toEqual([]);
  });
});
