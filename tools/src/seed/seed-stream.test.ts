import { scoreEventSchema } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import { parseBoards, scoreEvent, seededRandom } from './seed-stream.js';

describe('seed stream', () => {
  it('parses board specs with order, op and periods', () => {
    expect(parseBoards('global, speedrun:asc:min:daily+weekly')).toEqual([
      { board: 'global', order: 'desc', op: 'add', periods: [] },
      { board: 'speedrun', order: 'asc', op: 'min', periods: ['daily', 'weekly'] },
    ]);
    expect(() => parseBoards('x:up')).toThrow(/order/);
    expect(() => parseBoards('x:asc:best')).toThrow(/op/);
  });

  it('writes events the contract accepts, the same ones for the same seed', () => {
    const boards = parseBoards('global,speedrun:asc:min:daily');
    const make = () => {
      const rnd = seededRandom(3);
      return Array.from({ length: 50 }, (_, i) =>
        scoreEvent('run', i, rnd, { users: 10, boards, now: 1.7e12, spanMs: 1e9 }),
      );
    };
    const events = make();
    for (const e of events) expect(scoreEventSchema.parse(e)).toEqual(e);
    expect(make()).toEqual(events);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(50);
  });
});
