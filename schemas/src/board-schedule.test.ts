import { describe, expect, it } from 'vitest';
import {
  applyScheduleChange,
  type BoardSchedule,
  boardChangeRecord,
  changeOfRecord,
  currentInstanceKey,
  currentOrLastSeason,
  EMPTY_SCHEDULE,
  foldSchedule,
  isKeptInstance,
  lastInstanceKey,
  resetInstanceKey,
  type ScheduleChange,
  scheduledKeys,
} from './board-schedule.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 3, 1); // 2026-04-01T00:00Z
const s1 = { seasonId: 's1', startsAt: T0, endsAt: T0 + 10 * H };
const s2 = { seasonId: 's2', startsAt: T0 + 10 * H, endsAt: T0 + 20 * H };
const NEW_YORK = { timeZone: 'America/New_York', weekStartsOn: 'sunday' as const };

describe('board schedules', () => {
  it('adds seasons in start order, refuses an overlap or a reused id, and takes a repeat as nothing new', () => {
    const one = applyScheduleChange(EMPTY_SCHEDULE, { action: 'season', season: s2 }).schedule;
    const two = applyScheduleChange(one, { action: 'season', season: s1 }).schedule;
    expect(two.seasons.map((s) => s.seasonId)).toEqual(['s1', 's2']);
    expect(applyScheduleChange(two, { action: 'season', season: s1 }).schedule).toBe(two);
    const overlap = { seasonId: 'x', startsAt: T0 + 9 * H, endsAt: T0 + 11 * H };
    expect(applyScheduleChange(two, { action: 'season', season: overlap })).toEqual({
      schedule: two,
      conflict: { reason: 'season_overlaps', season: s1 },
    });
    const moved = { ...s1, endsAt: T0 + 5 * H };
    expect(applyScheduleChange(two, { action: 'season', season: moved }).conflict).toEqual({
      reason: 'season_exists',
      season: s1,
    });
    // touching intervals do not overlap: an end is not included
    const next = { seasonId: 's3', startsAt: T0 + 20 * H, endsAt: T0 + 30 * H };
    expect(applyScheduleChange(two, { action: 'season', season: next }).conflict).toBeUndefined();
  });

  it('ends the season in progress at a reset, starts the next there, and keeps later seasons as they are', () => {
    const before = foldSchedule([
      { action: 'season', season: s1 },
      { action: 'season', season: { seasonId: 'later', startsAt: T0 + 30 * H, endsAt: T0 + 40 * H } },
    ]);
    const at = T0 + 4 * H;
    const next = { seasonId: 'n', startsAt: at, endsAt: T0 + 30 * H };
    const { schedule } = applyScheduleChange(before, { action: 'reset', at, next });
    expect(schedule).toEqual({
      seasons: [{ ...s1, endsAt: at }, next, { seasonId: 'later', startsAt: T0 + 30 * H, endsAt: T0 + 40 * H }],
      resets: [at],
    });
    // a repeated reset changes nothing
    expect(applyScheduleChange(schedule, { action: 'reset', at, next }).schedule).toBe(schedule);
    // a next season that would run into a later one is refused, the reset itself stands
    const clash = applyScheduleChange(before, {
      action: 'reset',
      at,
      next: { seasonId: 'n', startsAt: at, endsAt: T0 + 35 * H },
    });
    expect(clash.conflict?.reason).toBe('season_overlaps');
    expect(clash.schedule.resets).toEqual([at]);
  });

  it('splits a calendar instance at each reset inside it, from the reset on, and leaves all-time whole', () => {
    const at = T0 + 15 * H;
    const schedule: BoardSchedule = { seasons: [], resets: [T0 - 30 * H, at] };
    expect(scheduledKeys(['all', 'daily:2026-04-01'], at - 1, schedule)).toEqual(['all', 'daily:2026-04-01']);
    expect(scheduledKeys(['all', 'daily:2026-04-01'], at, schedule)).toEqual(['all', `daily:2026-04-01~${at}`]);
    // the monthly instance holds both resets: the later one names it from then on
    expect(resetInstanceKey('monthly:2026-04', at + H, schedule.resets)).toBe(`monthly:2026-04~${at}`);
    expect(resetInstanceKey('monthly:2026-03', T0 - 29 * H, schedule.resets)).toBe(`monthly:2026-03~${T0 - 30 * H}`);
    expect(currentInstanceKey('daily', at + H, schedule)).toBe(`daily:2026-04-01~${at}`);
    expect(currentInstanceKey('daily', at + 10 * H, schedule)).toBe('daily:2026-04-02');
    expect(lastInstanceKey('daily:2026-04-01', schedule)).toBe(`daily:2026-04-01~${at}`);
    expect(lastInstanceKey('daily:2026-04-02', schedule)).toBe('daily:2026-04-02');
    // instance keys of one period still sort in time
    expect(['daily:2026-04-02', `daily:2026-04-01~${at}`, 'daily:2026-04-01'].sort()).toEqual([
      'daily:2026-04-01',
      `daily:2026-04-01~${at}`,
      'daily:2026-04-02',
    ]);
  });

  it("judges a reset's day on the board's calendar", () => {
    // 03:00Z on April 1st is 23:00 on March 31st in New York (UTC-4), and 04:00Z its midnight
    const at = T0 + 3 * H;
    expect(currentInstanceKey('daily', at + H / 2, { seasons: [], resets: [at] }, NEW_YORK)).toBe(
      `daily:2026-03-31~${at}`,
    );
    expect(currentInstanceKey('daily', T0 + 5 * H, { seasons: [], resets: [at] }, NEW_YORK)).toBe('daily:2026-04-01');
  });

  it("adds the event's season, and refuses an event in none once the board has seasons", () => {
    const schedule = foldSchedule([
      { action: 'season', season: s1 },
      { action: 'season', season: s2 },
    ]);
    expect(scheduledKeys(['all'], T0, schedule)).toEqual(['all', 'season:s1']);
    expect(scheduledKeys(['all'], T0 + 10 * H - 1, schedule)).toEqual(['all', 'season:s1']);
    expect(scheduledKeys(['all'], T0 + 10 * H, schedule)).toEqual(['all', 'season:s2']);
    expect(scheduledKeys(['all'], T0 - 1, schedule)).toBeUndefined();
    expect(scheduledKeys(['all'], T0 + 20 * H, schedule)).toBeUndefined();
    expect(currentOrLastSeason(schedule, T0 + 25 * H)?.seasonId).toBe('s2');
    expect(currentOrLastSeason(schedule, T0 - 1)).toBeUndefined();
  });

  it('stores a change as a row and reads the same change back', () => {
    const changes: ScheduleChange[] = [
      { action: 'season', season: s1 },
      { action: 'reset', at: T0 + H, next: null },
      { action: 'reset', at: T0 + 2 * H, next: s2 },
    ];
    for (const change of changes) {
      const row = boardChangeRecord('b', change, T0);
      expect(changeOfRecord(row)).toEqual(change);
    }
  });

  it('keeps in Redis the seasons not started and the newest started ones, regional copies alike', () => {
    const s3 = { seasonId: 's3', startsAt: T0 + 20 * H, endsAt: T0 + 30 * H };
    const s4 = { seasonId: 's4', startsAt: T0 + 40 * H, endsAt: T0 + 50 * H };
    const schedule: BoardSchedule = { seasons: [s1, s2, s3, s4], resets: [] };
    const UTC = { timeZone: 'UTC', weekStartsOn: 'monday' as const };
    const kept = (at: number, keep: number) =>
      ['s1', 's2', 's3', 's4', 'unknown'].filter((id) => isKeptInstance(`season:${id}`, at, UTC, schedule, keep));
    // during s3, two kept: s3 and s2; s4 has not started; a season not named yet cannot be placed
    expect(kept(T0 + 25 * H, 2)).toEqual(['s2', 's3', 's4', 'unknown']);
    // between s3 and s4 the newest started are still s3 and s2
    expect(kept(T0 + 35 * H, 2)).toEqual(['s2', 's3', 's4', 'unknown']);
    expect(kept(T0 + 45 * H, 2)).toEqual(['s3', 's4', 'unknown']);
    expect(kept(T0 + 45 * H, 1)).toEqual(['s4', 'unknown']);
    expect(kept(T0 + 45 * H, 0)).toEqual(['s1', 's2', 's3', 's4', 'unknown']);
    expect(isKeptInstance('season:s2@EU', T0 + 45 * H, UTC, schedule, 2)).toBe(false);
    expect(isKeptInstance('season:s3@EU', T0 + 45 * H, UTC, schedule, 2)).toBe(true);
    // calendar instances go by date, their reset splits and regional copies with them
    const day = Date.UTC(2026, 3, 10, 12);
    expect(isKeptInstance('daily:2026-04-09~1775700000000@EU', day, UTC, schedule, 2)).toBe(true);
    expect(isKeptInstance('daily:2026-04-08@EU', day, UTC, schedule, 2)).toBe(false);
    expect(isKeptInstance('all@EU', day, UTC, schedule, 1)).toBe(true);
  });
});
