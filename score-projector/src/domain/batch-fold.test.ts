import { type DecodedEvent, MAX_ABS_VALUE, type ScoreEvent, toRedisMember } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import { type BatchFold, foldBatch, minuteCountKey, type Standing, type StoredTotal, totalKey } from './batch-fold.js';
import type { Candidate } from './batch-plan.js';

// 2026-11-23T00:00:00Z, a Monday.
const T0 = Date.UTC(2026, 10, 23);

function scoreEvent(offset: number, e: Partial<ScoreEvent> & { userId: string; value: number }): Candidate {
  const event: ScoreEvent = {
    eventId: `e${offset}`,
    board: 'global',
    op: 'add',
    occurredAt: T0 + offset,
    periods: [],
    source: null,
    metadata: null,
    limits: null,
    calendar: null,
    tiebreaks: [],
    region: null,
    ...e,
  };
  return { offset, timestamp: T0, decoded: { kind: 'score', event } };
}

function profileEvent(offset: number, userId: string, username: string): Candidate {
  const decoded: DecodedEvent = {
    kind: 'profile',
    event: { eventId: `p${offset}`, userId, username, imageUrl: null, region: null, occurredAt: T0 },
  };
  return { offset, timestamp: T0, decoded };
}

function adminEvent(
  offset: number,
  action: 'remove_entry' | 'ban' | 'unban' | 'erase',
  userId: string,
  board: string | null = null,
  periodKey: string | null = null,
): Candidate {
  const event = { eventId: `a${offset}`, action, userId, board, periodKey, actor: 'mod', reason: null, occurredAt: T0 };
  return { offset, timestamp: T0, decoded: { kind: 'admin', event } };
}

const orders = new Map([
  ['global', 'desc' as const],
  ['speedrun', 'asc' as const],
]);

function rows(fold: BatchFold) {
  return Object.fromEntries(
    fold.totals.map((t) => [`${t.board}/${t.periodKey}/${t.userId}`, [t.score, t.reachedAt, t.eventCount, t.version]]),
  );
}

/** given the stored totals, when the batch arrives (once, or twice as a redelivery would), then... */
function given(current: Record<string, StoredTotal> = {}) {
  const map = new Map<string, StoredTotal>();
  for (const [k, v] of Object.entries(current)) {
    const [board = '', periodKey = '', userId = ''] = k.split('/');
    map.set(totalKey({ board, periodKey, userId }), v);
  }
  return {
    when: (events: Candidate[], standings?: ReadonlyMap<string, Standing>) =>
      foldBatch({ events, current: map, orders, ...(standings ? { standings } : {}) }),
  };
}

describe('foldBatch', () => {
  it('collapses many events of one user into one absolute row with the last offset as its version', () => {
    const fold = given().when([
      scoreEvent(10, { userId: 'u', value: 5 }),
      scoreEvent(11, { userId: 'u', value: 7 }),
      scoreEvent(12, { userId: 'u', value: 0 }),
    ]);
    // The add of 0 does not change the score, so reachedAt stays at the event that last did.
    expect(rows(fold)).toEqual({ 'global/all/u': [12, T0 + 11, 3, 12] });
    expect(fold.applied).toBe(3);
  });

  it('creates a total with the first event even at a score of 0, and set/max/min take the first value', () => {
    const fold = given().when([
      scoreEvent(1, { userId: 'a', value: 0 }),
      scoreEvent(2, { userId: 'b', value: -4, op: 'max' }),
      scoreEvent(3, { userId: 'c', value: 9, op: 'min' }),
      scoreEvent(4, { userId: 'd', value: 3, op: 'set' }),
    ]);
    expect(rows(fold)).toEqual({
      'global/all/a': [0, T0 + 1, 1, 1],
      'global/all/b': [-4, T0 + 2, 1, 2],
      'global/all/c': [9, T0 + 3, 1, 3],
      'global/all/d': [3, T0 + 4, 1, 4],
    });
  });

  it('gives a total a version above its stored one even when the offset is lower (a user on two partitions)', () => {
    // given a total last written from another partition at offset 900, when an event at offset 7 arrives
    const fold = given({ 'global/all/u': { score: 10, reachedAt: T0, eventCount: 2, version: 900 } }).when([
      scoreEvent(7, { userId: 'u', value: 5 }),
      scoreEvent(8, { userId: 'u', value: 1 }),
    ]);
    // then the row grows past 900 (so Redis's version guard accepts it) and names the version it was folded from
    expect(rows(fold)).toEqual({ 'global/all/u': [16, T0 + 8, 4, 902] });
    expect(fold.totals.map((t) => t.baseVersion)).toEqual([900]);
  });

  it('marks a total that did not exist with base version -1 and uses the offset as its version', () => {
    const fold = given({ 'global/all/old': { score: 1, reachedAt: T0, eventCount: 1, version: 3 } }).when([
      scoreEvent(5, { userId: 'new', value: 2 }),
      scoreEvent(6, { userId: 'old', value: 2 }),
    ]);
    expect(fold.totals.map((t) => [t.userId, t.version, t.baseVersion])).toEqual([
      ['new', 5, -1],
      ['old', 6, 3],
    ]);
  });

  it('continues from the stored total (a duplicate across batches never reaches the fold: its id is known)', () => {
    const fold = given({ 'global/all/u': { score: 10, reachedAt: T0, eventCount: 2, version: 4 } }).when([
      scoreEvent(8, { userId: 'u', value: 3, op: 'max' }),
      scoreEvent(9, { userId: 'u', value: 12, op: 'max' }),
    ]);
    expect(rows(fold)).toEqual({ 'global/all/u': [12, T0 + 9, 4, 9] });
  });

  it('gives the same rows when the same new events are folded again over the same state (idempotent input)', () => {
    const state = { 'global/all/u': { score: 1, reachedAt: T0, eventCount: 1, version: 0 } };
    const batch = [scoreEvent(3, { userId: 'u', value: 2 }), scoreEvent(4, { userId: 'u', value: 5, op: 'min' })];
    expect(given(state).when(batch)).toEqual(given(state).when(batch));
  });

  it('counts an event toward all-time and each period it lists, with keys from occurredAt', () => {
    const fold = given().when([scoreEvent(1, { userId: 'u', value: 2, periods: ['daily', 'weekly', 'monthly'] })]);
    expect(Object.keys(rows(fold)).sort()).toEqual([
      'global/all/u',
      'global/daily:2026-11-23/u',
      'global/monthly:2026-11/u',
      'global/weekly:2026-W48/u',
    ]);
  });

  it('refuses an overflowing event on all its totals, keeps going with the next, and keeps the version', () => {
    const fold = given({
      'global/all/u': { score: MAX_ABS_VALUE - 1, reachedAt: T0, eventCount: 1, version: 0 },
    }).when([
      scoreEvent(1, { userId: 'u', value: 1, periods: ['daily'] }),
      scoreEvent(2, { userId: 'u', value: 5, periods: ['daily'] }),
      scoreEvent(3, { userId: 'u', value: -10, periods: ['daily'] }),
    ]);
    expect(fold.overflowed.map((c) => c.offset)).toEqual([2]);
    expect(rows(fold)).toEqual({
      'global/all/u': [MAX_ABS_VALUE - 10, T0 + 3, 3, 3],
      'global/daily:2026-11-23/u': [-9, T0 + 3, 2, 3],
    });
    expect(fold.applied).toBe(2);
  });

  it('refuses a first event whose value alone is out of range only if the contract let it through', () => {
    const fold = given({ 'global/all/u': { score: -MAX_ABS_VALUE, reachedAt: T0, eventCount: 1, version: 0 } }).when([
      scoreEvent(1, { userId: 'u', value: -1 }),
    ]);
    expect(fold.overflowed).toHaveLength(1);
    expect(fold.totals).toEqual([]);
  });

  it('stores the ascending sort key: -score on desc boards, score on asc boards, never -0', () => {
    const fold = given().when([
      scoreEvent(1, { userId: 'u', value: 7 }),
      scoreEvent(2, { userId: 'u', value: 3, board: 'speedrun', op: 'min' }),
      scoreEvent(3, { userId: 'z', value: 0 }),
    ]);
    const byKey = Object.fromEntries(fold.totals.map((t) => [`${t.board}/${t.userId}`, t.rankScore]));
    expect(byKey).toEqual({ 'global/u': -7, 'speedrun/u': 3, 'global/z': 0 });
    expect(Object.is(byKey['global/z'], -0)).toBe(false);
    expect(toRedisMember(T0, 'u')).toBe(`${T0}:u`);
  });

  it('keeps the latest profile of a user in log order', () => {
    const fold = given().when([
      profileEvent(1, 'u', 'first'),
      profileEvent(5, 'u', 'second'),
      profileEvent(6, 'v', 'x'),
    ]);
    expect(fold.profiles.map((p) => [p.userId, p.username, p.version])).toEqual([
      ['u', 'second', 5],
      ['v', 'x', 6],
    ]);
  });

  it('fails loudly for a board whose order it was not given, rather than guess one', () => {
    expect(() => given().when([scoreEvent(1, { userId: 'u', value: 1, board: 'nope' })])).toThrow(/order/);
  });

  describe('admin events', () => {
    const stored = (score: number, version: number): StoredTotal => ({ score, reachedAt: T0, eventCount: 1, version });

    it('removes every stored total of the board, then counts a later event from nothing', () => {
      const fold = given({ 'global/all/u': stored(50, 3), 'global/daily:2026-11-23/u': stored(50, 3) }).when([
        adminEvent(10, 'remove_entry', 'u', 'global'),
        scoreEvent(11, { userId: 'u', value: 7 }),
      ]);
      // all-time written again over the stored row's version; the daily total stays removed
      expect(rows(fold)).toEqual({ 'global/all/u': [7, T0 + 11, 1, 11] });
      expect(fold.removed.map((r) => [r.periodKey, r.version, r.baseVersion])).toEqual([['daily:2026-11-23', 10, 3]]);
      expect(fold.totals[0]?.baseVersion).toBe(3);
      expect(fold.audit.map((a) => [a.offset, a.removed])).toEqual([[10, 2]]);
    });

    it('removes one instance only when it names a period key, and a total written earlier in the batch', () => {
      const fold = given({ 'global/all/u': stored(50, 3) }).when([
        scoreEvent(10, { userId: 'u', value: 5, periods: ['daily'] }),
        adminEvent(11, 'remove_entry', 'u', 'global', 'daily:2026-11-23'),
      ]);
      expect(rows(fold)).toEqual({ 'global/all/u': [55, T0 + 10, 2, 10] });
      // created and removed within the batch: nothing stored to delete
      expect(fold.removed).toEqual([]);
      expect(fold.audit[0]?.removed).toBe(1);
    });

    it('ignores a banned user from the ban on, and counts again after the unban', () => {
      const fold = given().when([
        scoreEvent(10, { userId: 'u', value: 5 }),
        adminEvent(11, 'ban', 'u'),
        scoreEvent(12, { userId: 'u', value: 100 }),
        adminEvent(13, 'unban', 'u'),
        scoreEvent(14, { userId: 'u', value: 1 }),
      ]);
      expect(rows(fold)).toEqual({ 'global/all/u': [6, T0 + 14, 2, 14] });
      expect(fold.ignored).toBe(1);
      expect(fold.bans.map((b) => [b.userId, b.banned, b.erased])).toEqual([['u', false, false]]);
      expect([...fold.standings]).toEqual([]);
    });

    it('keeps ignoring a user banned before the batch, without changing the map it was given', () => {
      const before = new Map([['u', { banned: true, erased: false }]]);
      const fold = given().when([scoreEvent(10, { userId: 'u', value: 5 }), adminEvent(11, 'ban', 'v')], before);
      expect(rows(fold)).toEqual({});
      expect([...fold.standings.keys()].sort()).toEqual(['u', 'v']);
      expect([...before.keys()]).toEqual(['u']);
    });

    it('erases a user from every board and the profiles, and ignores them for good, unban or not', () => {
      const fold = given({
        'global/all/u': stored(50, 3),
        'speedrun/all/u': stored(9, 4),
        'global/all/w': stored(1, 5),
      }).when([
        profileEvent(9, 'u', 'Ada'),
        adminEvent(10, 'erase', 'u'),
        scoreEvent(11, { userId: 'u', value: 7 }),
        profileEvent(12, 'u', 'Ada again'),
        adminEvent(13, 'unban', 'u'),
        scoreEvent(14, { userId: 'u', value: 7 }),
      ]);
      expect(rows(fold)).toEqual({});
      expect(fold.removed.map((r) => `${r.board}/${r.userId}`).sort()).toEqual(['global/u', 'speedrun/u']);
      expect(fold.profiles).toEqual([]);
      expect(fold.erasedUsers).toEqual(['u']);
      expect(fold.ignored).toBe(3);
      expect(fold.bans.map((b) => [b.userId, b.banned, b.erased])).toEqual([['u', false, true]]);
      expect(fold.audit.map((a) => [a.event.action, a.removed])).toEqual([
        ['erase', 2],
        ['unban', 0],
      ]);
    });
  });

  describe('per-player limits stamped on the events', () => {
    const limits = (maxEventsPerMinute: number | null, maxDelta: number | null) => ({ maxEventsPerMinute, maxDelta });
    const at = (c: Candidate, timestamp: number): Candidate => ({ ...c, timestamp });

    it('lets maxEventsPerMinute events of a player through per minute of log time, counting stored ones', () => {
      const minute = Math.floor(T0 / 60_000);
      const stored = new Map([[minuteCountKey('global', 'u', minute), 1]]);
      const fold = foldBatch({
        events: [
          at(scoreEvent(10, { userId: 'u', value: 1, limits: limits(2, null) }), T0),
          at(scoreEvent(11, { userId: 'u', value: 1, limits: limits(2, null) }), T0 + 30_000),
          at(scoreEvent(12, { userId: 'v', value: 1, limits: limits(2, null) }), T0 + 30_000),
          at(scoreEvent(13, { userId: 'u', value: 1, limits: limits(2, null) }), T0 + 60_000),
        ],
        current: new Map(),
        orders,
        minuteCounts: stored,
      });
      expect(fold.refused.map((r) => [r.candidate.offset, r.reason, r.path])).toEqual([[11, 'rate_limited', 'userId']]);
      expect(rows(fold)).toEqual({ 'global/all/u': [2, T0 + 13, 2, 13], 'global/all/v': [1, T0 + 12, 1, 12] });
      expect(fold.minuteCounts).toEqual([
        { board: 'global', userId: 'u', minute, events: 2 },
        { board: 'global', userId: 'v', minute, events: 1 },
        { board: 'global', userId: 'u', minute: minute + 1, events: 1 },
      ]);
    });

    it('counts only the events it takes, and neither counts nor limits one ten minutes behind the newest', () => {
      const fold = foldBatch({
        events: [
          at(scoreEvent(10, { userId: 'u', value: 500, limits: limits(1, 100) }), T0),
          at(scoreEvent(11, { userId: 'u', value: 5, limits: limits(1, 100) }), T0),
          at(scoreEvent(12, { userId: 'u', value: 5, limits: limits(1, 100) }), T0),
          at(scoreEvent(13, { userId: 'u', value: 5, limits: limits(1, 100) }), T0 - 11 * 60_000),
          at(scoreEvent(14, { userId: 'u', value: 5, limits: limits(1, 100) }), T0 - 11 * 60_000),
        ],
        current: new Map(),
        orders,
        minuteMark: Math.floor(T0 / 60_000) - 1,
      });
      expect(fold.refused.map((r) => [r.candidate.offset, r.reason])).toEqual([
        [10, 'max_delta'],
        [12, 'rate_limited'],
      ]);
      expect(rows(fold)).toEqual({ 'global/all/u': [15, T0 + 14, 3, 14] });
      expect(fold.minuteMark).toBe(Math.floor(T0 / 60_000));
      expect(fold.minuteCounts).toEqual([{ board: 'global', userId: 'u', minute: Math.floor(T0 / 60_000), events: 1 }]);
    });

    it('refuses an event that would move the all-time total by more than maxDelta, whatever the op', () => {
      const fold = given({ 'global/all/u': { score: 100, reachedAt: T0, eventCount: 1, version: 3 } }).when([
        scoreEvent(10, { userId: 'u', value: 600, limits: limits(null, 500) }),
        scoreEvent(11, { userId: 'u', op: 'set', value: 550, limits: limits(null, 500) }),
        scoreEvent(12, { userId: 'u', op: 'set', value: 1_100, limits: limits(null, 500) }),
        scoreEvent(13, { userId: 'u', value: 600 }),
      ]);
      expect(fold.refused.map((r) => [r.candidate.offset, r.reason, r.path])).toEqual([
        [10, 'max_delta', 'value'],
        [12, 'max_delta', 'value'],
      ]);
      // the unstamped event is not limited
      expect(rows(fold)).toEqual({ 'global/all/u': [1_150, T0 + 13, 3, 13] });
    });
  });
});
