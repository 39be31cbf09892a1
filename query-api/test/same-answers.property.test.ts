import {
  compareEntries,
  MAX_ABS_VALUE,
  type PeriodCalendar,
  percentile,
  periodKey,
  type RankOrder,
} from '@rankstream/schemas';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { get } from './fixtures/http.js';
import type { ProjectionState, TotalFixture } from './fixtures/projection-writer.js';
import { createQueryWorld, type QueryWorld } from './fixtures/query-world.js';

/**
 * For random states (ties on score and reachedAt, both orders, three periods, three calendars, regional views),
 * every endpoint gives byte-identical JSON from the Redis reader and the PostgreSQL reader, equal to
 * an oracle that sorts an array with compareEntries. The board's calendar changes between runs, so
 * the readers' remembered calendars are wrong again and again: every answer must still name the
 * period by the calendar just read.
 */
const T = 1_763_000_000_000;
const NOW = Date.now();
const CALENDARS: PeriodCalendar[] = [
  { timeZone: 'UTC', weekStartsOn: 'monday' },
  { timeZone: 'America/New_York', weekStartsOn: 'sunday' },
  { timeZone: 'Asia/Kathmandu', weekStartsOn: 'wednesday' },
];
const USERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'A', 'B', 'a.1', 'z_9'];
/** The board's season, in progress for the whole run (recorded in board_changes before it). */
const SEASON = 'season:s1';

const userArb = fc.record({
  userId: fc.constantFrom(...USERS),
  // 4090–4105 and −4105…−4090 fall in rank buckets four and eight wide, on both sides of a group
  // boundary (schemas/src/rank-buckets.ts): ranks then come from group and bucket sums plus rows
  // ahead inside a bucket, with distinct scores in one bucket.
  score: fc.oneof(
    fc.integer({ min: -3, max: 3 }),
    fc.integer({ min: 4090, max: 4105 }),
    fc.integer({ min: -4105, max: -4090 }),
    fc.constantFrom(MAX_ABS_VALUE, -MAX_ABS_VALUE, 0),
  ),
  reachedAt: fc.constantFrom(T, T + 1, T + 2, 9_999_999_999_999),
  inDaily: fc.boolean(),
  dailyScore: fc.integer({ min: -2, max: 2 }),
  inWeekly: fc.boolean(),
  weeklyScore: fc.integer({ min: -2, max: 2 }),
  inSeason: fc.boolean(),
  seasonScore: fc.integer({ min: -2, max: 2 }),
  hasProfile: fc.boolean(),
  // Details with bars and quotes, which the Redis member index must keep apart from the member.
  details: fc.option(
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ v, note: 'a|b"c' })),
    { nil: null },
  ),
  /** The player's region: a regional view holds a copy of each of their totals. */
  region: fc.constantFrom(null, 'EU', 'ASIA'),
  // Few distinct values, so that equal scores are often told apart, or not, by the columns.
  tiebreaks: fc.tuple(
    fc.integer({ min: -2, max: 2 }),
    fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom(MAX_ABS_VALUE, -MAX_ABS_VALUE)),
  ),
});

const COLUMN_SETS: { order: RankOrder; op: 'add' | 'set' | 'max' | 'min' }[][] = [
  [],
  [{ order: 'asc', op: 'min' }],
  [
    { order: 'desc', op: 'add' },
    { order: 'asc', op: 'set' },
  ],
];

const stateArb = fc.record({
  order: fc.constantFrom<RankOrder>('desc', 'asc'),
  users: fc.uniqueArray(userArb, { selector: (u) => u.userId, minLength: 0, maxLength: USERS.length }),
  limit: fc.integer({ min: 1, max: 5 }),
  offset: fc.integer({ min: 0, max: 13 }),
  radius: fc.integer({ min: 0, max: 4 }),
  probe: fc.constantFrom(...USERS, 'nobody'),
  friends: fc.subarray([...USERS, 'nobody', 'ghost'], { minLength: 1 }),
  period: fc.constantFrom('all', 'daily', 'weekly', 'season'),
  calendar: fc.constantFrom(...CALENDARS),
  /** Name the period with `at` (a day of the board's calendar) or `season`, or leave it to the current one. */
  withAt: fc.boolean(),
  withDetails: fc.boolean(),
  columns: fc.constantFrom(...COLUMN_SETS),
  /** Read the EU view (?region=EU) instead of the global one. */
  region: fc.constantFrom(undefined, 'EU'),
});

type Sample = fc.Arbitrary<typeof stateArb extends fc.Arbitrary<infer S> ? S : never>;
type Case = Sample extends fc.Arbitrary<infer S> ? S : never;

/** The current period keys on the case's calendar. */
function periodKeysOf(c: Pick<Case, 'calendar'>) {
  const DAY = periodKey('daily', NOW, c.calendar);
  const WEEK = periodKey('weekly', NOW, c.calendar);
  return {
    DAY,
    WEEK,
    AT: DAY.slice('daily:'.length),
    KEYS: { all: 'all', daily: DAY, weekly: WEEK, season: SEASON } as Record<string, string>,
  };
}

function toState(c: Case): ProjectionState {
  const { DAY, WEEK } = periodKeysOf(c);
  const totals: TotalFixture[] = [];
  for (const u of c.users) {
    totals.push({
      board: 'b',
      periodKey: 'all',
      userId: u.userId,
      score: u.score,
      reachedAt: u.reachedAt,
      details: u.details,
      tiebreaks: u.tiebreaks,
    });
    const { tiebreaks, reachedAt, userId } = u;
    if (u.inDaily) totals.push({ board: 'b', periodKey: DAY, userId, score: u.dailyScore, reachedAt, tiebreaks });
    if (u.inWeekly) totals.push({ board: 'b', periodKey: WEEK, userId, score: u.weeklyScore, reachedAt, tiebreaks });
    if (u.inSeason) totals.push({ board: 'b', periodKey: SEASON, userId, score: u.seasonScore, reachedAt, tiebreaks });
  }
  // Each player's regional copies, as the projector writes them.
  for (const t of [...totals]) {
    const region = c.users.find((u) => u.userId === t.userId)?.region;
    if (region) totals.push({ ...t, periodKey: `${t.periodKey}@${region}` });
  }
  return {
    boards: [{ board: 'b', order: c.order, periods: ['weekly', 'daily'], calendar: c.calendar, tiebreaks: c.columns }],
    totals,
    profiles: c.users
      .filter((u) => u.hasProfile)
      .map((u) => ({ userId: u.userId, username: `n-${u.userId}`, imageUrl: `https://img.example/${u.userId}.png` })),
    watermark: { 0: 7 },
  };
}

/** The oracle: the period's rows (of a region's players, when given) sorted with compareEntries, ranks by position. */
function ranking(c: Case, key: string, withDetails = false, region?: string) {
  const { DAY } = periodKeysOf(c);
  const rows = c.users
    .filter((u) => key === 'all' || (key === DAY ? u.inDaily : key === SEASON ? u.inSeason : u.inWeekly))
    .filter((u) => region === undefined || u.region === region)
    .map((u) => ({
      userId: u.userId,
      score: key === 'all' ? u.score : key === DAY ? u.dailyScore : key === SEASON ? u.seasonScore : u.weeklyScore,
      reachedAt: u.reachedAt,
      username: u.hasProfile ? `n-${u.userId}` : null,
      imageUrl: u.hasProfile ? `https://img.example/${u.userId}.png` : null,
      // only the all-time totals have details in these states
      details: key === 'all' && u.details !== null ? JSON.parse(u.details) : null,
      tiebreaks: c.columns.map((_, i) => u.tiebreaks[i] as number),
    }))
    .sort(
      compareEntries(
        c.order,
        c.columns.map((col) => col.order),
      ),
    );
  return rows.map((r, i) => ({
    rank: i + 1,
    userId: r.userId,
    username: r.username,
    imageUrl: r.imageUrl,
    score: r.score,
    ...(c.columns.length > 0 ? { tiebreaks: r.tiebreaks } : {}),
    ...(withDetails ? { details: r.details } : {}),
  }));
}

let w: QueryWorld;
beforeAll(async () => {
  w = await createQueryWorld('property');
  await w.pool.query(
    `INSERT INTO board_changes (board, event_id, action, season_id, starts_at, ends_at, occurred_at, actor, logged)
     VALUES ('b', 'season-s1', 'season', 's1', $1, $2, $1, 'test', true)`,
    [NOW - 3_600_000, NOW + 3_600_000],
  );
  await w.schedules.refresh();
});
afterAll(async () => w?.close());

async function both(path: string) {
  const [r, p] = await Promise.all([get(w.redisApp, path), get(w.pgApp, path)]);
  expect(r.status, path).toBe(p.status);
  expect(r.text, path).toBe(p.text);
  expect(r.headers.get('etag'), path).toBe(p.headers.get('etag'));
  return r;
}

it('gives byte-identical answers from Redis and PostgreSQL, equal to the oracle', async () => {
  await fc.assert(
    fc.asyncProperty(stateArb, async (c) => {
      await w.writer.writeState(toState(c));
      const { DAY, WEEK, AT, KEYS } = periodKeysOf(c);
      const key = KEYS[c.period]!;
      const named = c.period === 'season' ? 'period=season&season=s1' : `period=${c.period}&at=${AT}`;
      const q =
        (c.period === 'all' || !c.withAt ? `period=${c.period}` : named) +
        (c.withDetails ? '&details=true' : '') +
        (c.region ? `&region=${c.region}` : '');
      const scope = c.region
        ? { board: 'b', period: c.period, periodKey: `${key}@${c.region}`, region: c.region }
        : { board: 'b', period: c.period, periodKey: key };
      const oracle = ranking(c, key, c.withDetails, c.region);

      const top = await both(`/v1/boards/b/top?${q}&limit=${c.limit}&offset=${c.offset}`);
      expect(top.body.entries).toEqual(oracle.slice(c.offset, c.offset + c.limit));
      expect(top.body.total).toBe(oracle.length);

      // Walking the cursor visits the whole ranking once, in order.
      const walked: unknown[] = [];
      let next = (await both(`/v1/boards/b/top?${q}&limit=${c.limit}`)).body;
      walked.push(...next.entries);
      while (next.nextCursor) {
        next = (await both(`/v1/boards/b/top?${q}&limit=${c.limit}&cursor=${next.nextCursor}`)).body;
        walked.push(...next.entries);
      }
      expect(walked).toEqual(oracle);

      const mine = oracle.find((e) => e.userId === c.probe);
      const user = await both(`/v1/boards/b/users/${c.probe}?${q}`);
      if (mine) {
        expect(user.body).toEqual({
          ...scope,
          ...mine,
          total: oracle.length,
          percentile: percentile(mine.rank, oracle.length),
        });
      } else {
        expect(user.status).toBe(404);
      }

      const around = await both(`/v1/boards/b/users/${c.probe}/around?${q}&radius=${c.radius}`);
      if (mine) {
        const from = Math.max(0, mine.rank - 1 - c.radius);
        expect(around.body).toEqual({
          ...scope,
          total: oracle.length,
          entries: oracle.slice(from, mine.rank + c.radius),
        });
      } else {
        expect(around.status).toBe(404);
      }

      const ranks = await both(`/v1/boards/b/ranks?${q}&userIds=${c.friends.join(',')}`);
      expect(ranks.body).toEqual({
        ...scope,
        total: oracle.length,
        entries: oracle.filter((e) => c.friends.includes(e.userId)),
        unknownUserIds: c.friends.filter((id) => !oracle.some((e) => e.userId === id)),
      });

      const boards = await both('/v1/boards');
      expect(boards.body).toEqual({
        boards: [
          {
            board: 'b',
            order: c.order,
            tiebreaks: c.columns,
            periods: ['daily', 'weekly'],
            ...c.calendar,
            players: ranking(c, 'all').length,
            regions: ['ASIA', 'EU']
              .map((region) => ({ region, players: ranking(c, 'all', false, region).length }))
              .filter((r) => r.players > 0),
          },
        ],
      });

      const u = c.users.find((x) => x.userId === c.probe);
      const userBoards = await both(`/v1/users/${c.probe}`);
      if (!u) {
        expect(userBoards.status).toBe(404);
      } else {
        const standings = [];
        for (const k of ['all', DAY, WEEK, SEASON]) {
          const own = ranking(c, k).find((e) => e.userId === c.probe);
          if (own) {
            standings.push({
              board: 'b',
              period: k === 'all' ? 'all' : k === DAY ? 'daily' : k === SEASON ? 'season' : 'weekly',
              periodKey: k,
              rank: own.rank,
              score: own.score,
              total: ranking(c, k).length,
            });
          }
        }
        expect(userBoards.body).toEqual({
          userId: c.probe,
          username: u.hasProfile ? `n-${u.userId}` : null,
          imageUrl: u.hasProfile ? `https://img.example/${u.userId}.png` : null,
          region: null,
          boards: standings,
        });
      }
    }),
    { numRuns: 50 },
  );
});
