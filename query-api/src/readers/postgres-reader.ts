import { type BoardSchedule, type PeriodCalendar, RANK_ORDER_SQL, UTC_CALENDAR } from '@rankstream/schemas';
import type pg from 'pg';
import { boardDefOf } from '../domain/board-def.js';
import { currentPeriodKeys } from '../domain/period-selection.js';
import type { BoardDef, RankedRow, RankingReader, StoreRead, StoreState } from '../domain/read-model.js';

/**
 * Reads the durable projection. Each read is ONE statement, so that the rows and the
 * projector_offsets they come with belong to one snapshot (the projector commits both in one
 * transaction) without the round trips of an explicit transaction.
 *
 * A rank is 1 + the rows ahead in (rank_score, tie_key, reached_at, user_id) order, counted in three parts:
 * the players of the groups of 32 rank buckets before the user's group (rank_group_counts), those of
 * the buckets of that group before the user's bucket (rank_bucket_counts; both kept by the projector in the
 * batch transaction; see schemas/src/rank-buckets.ts), and the rows ahead inside the user's bucket, a
 * short range of the composite index totals_rank_order. Pages and neighbours are index range scans.
 */

// $1 is always the events topic.
const OFFSETS = `off AS (
  SELECT coalesce(json_agg(json_build_array(partition, next_offset, log_end_offset,
    floor(extract(epoch FROM caught_up_at) * 1000)::bigint)), '[]'::json) AS o
  FROM projector_offsets WHERE topic = $1)`;
// $2 board, $3 period key.
const DEF = `def AS (SELECT json_build_array(sort_order, periods, time_zone, week_starts_on, tiebreaks) AS d
  FROM boards WHERE board = $2)`;
// The projector keeps period_counts (one row per partition) in the transaction that writes totals:
// a few index probes, not an O(N) count.
const PLAYERS = (board: string, periodKey: string) =>
  `coalesce((SELECT sum(players) FROM period_counts WHERE board = ${board} AND period_key = ${periodKey}), 0)::bigint`;
const TOTAL = `(${PLAYERS('$2', '$3')})`;
// The sort key travels with each row so that json_agg can be told the order: the ORDER BY inside
// a CTE is not a promise about the aggregate's order.
const ROW =
  'json_build_array(t.user_id, t.score, t.reached_at, p.username, p.image_url, t.details, t.tiebreaks) AS r, t.rank_score, t.tie_key, t.reached_at, t.user_id';
const AGG_ASC = `json_agg(r ORDER BY rank_score, tie_key, reached_at, user_id)`;
const AGG_DESC = `json_agg(r ORDER BY rank_score DESC, tie_key DESC, reached_at DESC, user_id DESC)`;
const ORDER = RANK_ORDER_SQL.replaceAll(/(rank_score|tie_key|reached_at|user_id)/g, 't.$1');
const ORDER_DESC = ORDER.replaceAll('ASC', 'DESC');
/**
 * The rows of a position's rank bucket [s, e) ahead of it (strictly, or with `<=` up to and
 * including it), counted from the bucket's nearer end: from its start, or, for a position in its
 * second half, the bucket's players (`bucketPlayers`, from rank_bucket_counts) less the rows from the
 * position to its end. A bucket holds ~1,000 players at 1M, so this halves the rows an average rank
 * reads. `s` and `e` are SQL expressions for rank_bucket_start() and rank_bucket_end() of the position.
 */
const AHEAD_IN_BUCKET = (o: {
  board: string;
  periodKey: string;
  position: [string, string, string, string];
  cmp: '<' | '<=';
  s: string;
  e: string;
  bucketPlayers: string;
}) => {
  const [rankScore, tieKey, reachedAt, userId] = o.position;
  const rows = (bound: string, cmp: string) =>
    `(SELECT count(*) FROM totals a WHERE a.board = ${o.board} AND a.period_key = ${o.periodKey} AND ${bound}
      AND (a.rank_score, a.tie_key, a.reached_at, a.user_id) ${cmp} (${rankScore}, ${tieKey}, ${reachedAt}, ${userId}))`;
  return `CASE WHEN 2 * (${rankScore} - ${o.s}) < ${o.e} - ${o.s} THEN ${rows(`a.rank_score >= ${o.s}`, o.cmp)}
    ELSE (${o.bucketPlayers})::bigint - ${rows(`a.rank_score < ${o.e}`, o.cmp === '<' ? '>=' : '>')} END`;
};

const inBoard = (alias: string, board: string, periodKey: string) =>
  `${alias}.board = ${board} AND ${alias}.period_key = ${periodKey}`;
/** SQL for the players of the groups before a group, and of the group itself, given its start. */
interface GroupSums {
  before: (groupStart: string) => string;
  players: (groupStart: string) => string;
}
const groupSums = (board: string, periodKey: string): GroupSums => ({
  before: (g) =>
    `(SELECT coalesce(sum(x.players), 0) FROM rank_group_counts x WHERE ${inBoard('x', board, periodKey)} AND x.group_start < ${g})`,
  players: (g) =>
    `(SELECT coalesce(sum(x.players), 0) FROM rank_group_counts x WHERE ${inBoard('x', board, periodKey)} AND x.group_start = ${g})`,
});
/**
 * Rows strictly before (or, with `<=`, up to and including) a position in the ranking order: the
 * groups of buckets before its group (`groups`; by default summed from rank_group_counts), the
 * buckets of its group before its bucket, counted from the group's nearer end as AHEAD_IN_BUCKET
 * counts rows, and the rows ahead in its bucket (AHEAD_IN_BUCKET).
 */
const COUNT_BEFORE = (
  board: string,
  periodKey: string,
  position: [string, string, string, string],
  cmp: '<' | '<=',
  groups: GroupSums = groupSums(board, periodKey),
) => {
  const rankScore = position[0];
  const buckets = (range: string) =>
    `(SELECT coalesce(sum(b.players), 0) FROM rank_bucket_counts b WHERE ${inBoard('b', board, periodKey)} AND ${range})::bigint`;
  const ahead = AHEAD_IN_BUCKET({
    board,
    periodKey,
    position,
    cmp,
    s: 'k.s',
    e: 'k.e',
    bucketPlayers: buckets('b.bucket_start = k.s'),
  });
  return `(SELECT ${groups.before('k.g')}::bigint
  + CASE WHEN 2 * (k.s - k.g) < k.ge - k.g THEN ${buckets('b.bucket_start >= k.g AND b.bucket_start < k.s')}
    ELSE ${groups.players('k.g')}::bigint - ${buckets('b.bucket_start >= k.s AND b.bucket_start < k.ge')} END
  + ${ahead}
  FROM (SELECT rank_group_start(${rankScore}) AS g, rank_group_end(${rankScore}) AS ge,
    rank_bucket_start(${rankScore}) AS s, rank_bucket_end(${rankScore}) AS e) k)`;
};
const RANK_AHEAD = (of: string) =>
  COUNT_BEFORE(
    `${of}.board`,
    `${of}.period_key`,
    [`${of}.rank_score`, `${of}.tie_key`, `${of}.reached_at`, `${of}.user_id`],
    '<',
  );

const TOP_BY_OFFSET = `WITH ${OFFSETS}, ${DEF},
page AS (SELECT ${ROW} FROM totals t LEFT JOIN profiles p ON p.user_id = t.user_id
  WHERE t.board = $2 AND t.period_key = $3 ORDER BY ${ORDER} OFFSET $4 LIMIT $5)
SELECT (SELECT o FROM off) AS off, (SELECT d FROM def) AS def, ${TOTAL} AS total, $4::bigint AS start,
  (SELECT coalesce(${AGG_ASC}, '[]'::json) FROM page) AS rows`;

// A deep page starts in the last rank bucket with no more than `offset` players before it, found in
// two steps: the last such group of buckets, from the running sums of the board's groups, then the
// last such bucket inside it. The rows before that bucket are skipped by the counts, and OFFSET walks
// only the remainder.
const TOP_BY_BUCKETED_OFFSET = `WITH ${OFFSETS}, ${DEF},
groups AS (SELECT group_start, sum(players) AS players FROM rank_group_counts
  WHERE board = $2 AND period_key = $3 GROUP BY group_start),
group_skip AS (SELECT group_start, before FROM (
    SELECT group_start, (sum(players) OVER (ORDER BY group_start) - players)::bigint AS before FROM groups) c
  WHERE before <= $4 ORDER BY group_start DESC LIMIT 1),
buckets AS (SELECT bucket_start, sum(players) AS players FROM rank_bucket_counts
  WHERE board = $2 AND period_key = $3 AND bucket_start >= (SELECT group_start FROM group_skip)
    AND bucket_start < rank_group_end((SELECT group_start FROM group_skip)) GROUP BY bucket_start),
skip AS (SELECT bucket_start, before FROM (
    SELECT bucket_start, (SELECT before FROM group_skip) + (sum(players) OVER (ORDER BY bucket_start) - players)::bigint
      AS before FROM buckets) c
  WHERE before <= $4 ORDER BY bucket_start DESC LIMIT 1),
page AS (SELECT ${ROW} FROM totals t LEFT JOIN profiles p ON p.user_id = t.user_id
  WHERE t.board = $2 AND t.period_key = $3
    AND t.rank_score >= coalesce((SELECT bucket_start FROM skip), -9223372036854775808)
  ORDER BY ${ORDER} OFFSET $4 - coalesce((SELECT before FROM skip), 0) LIMIT $5)
SELECT (SELECT o FROM off) AS off, (SELECT d FROM def) AS def, ${TOTAL} AS total, $4::bigint AS start,
  (SELECT coalesce(${AGG_ASC}, '[]'::json) FROM page) AS rows`;

const TOP_AFTER = `WITH ${OFFSETS}, ${DEF},
page AS (SELECT ${ROW} FROM totals t LEFT JOIN profiles p ON p.user_id = t.user_id
  WHERE t.board = $2 AND t.period_key = $3
    AND (t.rank_score, t.tie_key, t.reached_at, t.user_id) > ($4::bigint, $8::text, $5::bigint, $6::text)
  ORDER BY ${ORDER} LIMIT $7)
SELECT (SELECT o FROM off) AS off, (SELECT d FROM def) AS def, ${TOTAL} AS total,
  ${COUNT_BEFORE('$2', '$3', ['$4::bigint', '$8::text', '$5::bigint', '$6::text'], '<=')} AS start,
  (SELECT coalesce(${AGG_ASC}, '[]'::json) FROM page) AS rows`;

const ME = `me AS (SELECT t.*, p.username, p.image_url FROM totals t LEFT JOIN profiles p ON p.user_id = t.user_id
  WHERE t.board = $2 AND t.period_key = $3 AND t.user_id = $4)`;

const USER = `WITH ${OFFSETS}, ${DEF}, ${ME}
SELECT (SELECT o FROM off) AS off, (SELECT d FROM def) AS def, ${TOTAL} AS total,
  (SELECT json_build_array(${RANK_AHEAD('t')} + 1, t.user_id, t.score, t.reached_at, t.username, t.image_url, t.details, t.tiebreaks)
    FROM me t) AS me`;

const AROUND = `WITH ${OFFSETS}, ${DEF}, ${ME},
above AS (SELECT ${ROW} FROM me
  CROSS JOIN LATERAL (SELECT * FROM totals t WHERE t.board = me.board AND t.period_key = me.period_key
    AND (t.rank_score, t.tie_key, t.reached_at, t.user_id) < (me.rank_score, me.tie_key, me.reached_at, me.user_id)
    ORDER BY ${ORDER_DESC} LIMIT $5) t
  LEFT JOIN profiles p ON p.user_id = t.user_id),
below AS (SELECT ${ROW} FROM me
  CROSS JOIN LATERAL (SELECT * FROM totals t WHERE t.board = me.board AND t.period_key = me.period_key
    AND (t.rank_score, t.tie_key, t.reached_at, t.user_id) > (me.rank_score, me.tie_key, me.reached_at, me.user_id)
    ORDER BY ${ORDER} LIMIT $5) t
  LEFT JOIN profiles p ON p.user_id = t.user_id)
SELECT (SELECT o FROM off) AS off, (SELECT d FROM def) AS def, ${TOTAL} AS total,
  (SELECT json_build_array(${RANK_AHEAD('t')} + 1, t.user_id, t.score, t.reached_at, t.username, t.image_url, t.details, t.tiebreaks)
    FROM me t) AS me,
  (SELECT coalesce(${AGG_DESC}, '[]'::json) FROM above) AS above,
  (SELECT coalesce(${AGG_ASC}, '[]'::json) FROM below) AS below`;

// Many users at once: the players of the groups before each user's group come from one pass of
// running sums over the board's groups (up to the last user's group), not one sum per user.
const RANKS = `WITH ${OFFSETS}, ${DEF},
me AS (SELECT t.*, p.username, p.image_url, rank_group_start(t.rank_score) AS gs
  FROM totals t LEFT JOIN profiles p ON p.user_id = t.user_id
  WHERE t.board = $2 AND t.period_key = $3 AND t.user_id = ANY($4::text[])),
g AS (SELECT group_start, sum(players) AS players FROM rank_group_counts WHERE board = $2 AND period_key = $3
  AND group_start <= (SELECT max(gs) FROM me) GROUP BY group_start),
before AS (SELECT group_start, players, (sum(players) OVER (ORDER BY group_start) - players)::bigint AS n FROM g)
SELECT (SELECT o FROM off) AS off, (SELECT d FROM def) AS def, ${TOTAL} AS total,
  (SELECT coalesce(json_agg(json_build_array(
    ${COUNT_BEFORE('t.board', 't.period_key', ['t.rank_score', 't.tie_key', 't.reached_at', 't.user_id'], '<', {
      before: (gs) => `coalesce(c.n, (SELECT coalesce(sum(x.players), 0) FROM g x WHERE x.group_start < ${gs}))`,
      players: (gs) => `coalesce(c.players, (SELECT coalesce(sum(x.players), 0) FROM g x WHERE x.group_start = ${gs}))`,
    })} + 1,
    t.user_id, t.score, t.reached_at, t.username, t.image_url, t.details, t.tiebreaks)), '[]'::json)
   FROM me t LEFT JOIN before c ON c.group_start = t.gs) AS rows`;

const BOARDS = `WITH ${OFFSETS}
SELECT (SELECT o FROM off) AS off,
  (SELECT coalesce(json_agg(json_build_array(b.board, b.sort_order, b.periods, b.time_zone, b.week_starts_on, b.tiebreaks,
    ${PLAYERS('b.board', "'all'")},
    (SELECT coalesce(json_agg(json_build_array(substr(r.period_key, 5), r.players)), '[]'::json)
     FROM (SELECT period_key, sum(players)::bigint AS players FROM period_counts
       WHERE board = b.board AND period_key LIKE 'all@%' GROUP BY period_key HAVING sum(players) > 0) r))), '[]'::json)
   FROM boards b) AS boards`;

// $2 userId, $3 the current period keys per calendar: {"<timeZone>|<weekStartsOn>": {"daily": ..., ...}};
// `missing` lists the calendars of boards with periods that $3 lacks. The totals primary key
// (board, period_key, user_id) finds the user's rows board by board: totals has no index on user_id.
const USER_BOARDS = `WITH ${OFFSETS},
mine AS (SELECT t.*, b.sort_order FROM boards b
  CROSS JOIN LATERAL (SELECT 'all'::text AS key UNION ALL
    SELECT coalesce($4::jsonb -> b.board ->> p, $3::jsonb -> (b.time_zone || '|' || b.week_starts_on) ->> p)
    FROM unnest(b.periods) AS p
    UNION ALL SELECT $4::jsonb -> b.board ->> 'season' WHERE $4::jsonb -> b.board ? 'season') k
  -- OFFSET 0 keeps this a lookup per (board, key) in the primary key: flattened into a join, the
  -- planner, misled by a never-analysed boards table, preferred a scan of every total.
  CROSS JOIN LATERAL (SELECT * FROM totals t WHERE t.board = b.board AND t.period_key = k.key
    AND t.user_id = $2 OFFSET 0) t)
SELECT (SELECT o FROM off) AS off,
  (SELECT coalesce(json_agg(json_build_array(z.time_zone, z.week_starts_on)), '[]'::json)
   FROM (SELECT DISTINCT time_zone, week_starts_on FROM boards WHERE cardinality(periods) > 0
     AND NOT $3::jsonb ? (time_zone || '|' || week_starts_on)) z) AS missing,
  (SELECT json_build_array(username, image_url, region) FROM profiles WHERE user_id = $2) AS profile,
  (SELECT coalesce(json_agg(json_build_array(t.board, t.period_key, ${RANK_AHEAD('t')} + 1, t.score,
    ${PLAYERS('t.board', 't.period_key')})), '[]'::json)
   FROM mine t) AS boards`;

const STATE = `WITH ${OFFSETS} SELECT (SELECT o FROM off) AS off`;

type Offsets = [number, number, number, number][];
type PgRow = [string, number, number, string | null, string | null, string | null, number[] | null];
type PgRankedRow = [number, string, number, number, string | null, string | null, string | null, number[] | null];

function stateOf(off: Offsets): StoreState {
  const state: StoreState = { watermark: {}, progress: {} };
  for (const [partition, next, logEnd, caughtUpAt] of off) {
    state.watermark[partition] = next;
    state.progress[partition] = { logEnd, caughtUpAt };
  }
  return state;
}

type DefRow = [order: string, periods: string[], timeZone: string, weekStartsOn: string, tiebreaks: unknown];

function defOf(board: string, [order, periods, timeZone, weekStartsOn, tiebreaks]: DefRow): BoardDef {
  return boardDefOf(board, { order, periods, timeZone, weekStartsOn, tiebreaks });
}

function ranked(rank: number, r: PgRow, details: boolean): RankedRow {
  const row: RankedRow = { rank, userId: r[0], score: r[1], reachedAt: r[2], username: r[3], imageUrl: r[4] };
  if (details) row.details = r[5];
  if (r[6] !== null) row.tiebreaks = r[6];
  return row;
}

function rankedRow(r: PgRankedRow, details: boolean): RankedRow {
  const row: RankedRow = { rank: r[0], userId: r[1], score: r[2], reachedAt: r[3], username: r[4], imageUrl: r[5] };
  if (details) row.details = r[6];
  if (r[7] !== null) row.tiebreaks = r[7];
  return row;
}

/**
 * Reads run as named (prepared) statements, so each connection plans a statement once instead of on
 * every request: planning these CTEs cost about as much PostgreSQL CPU as running them. One name per
 * SQL text for the whole process, because node-postgres refuses a name reused for another text on a
 * connection, and readers may share a pool.
 */
const STATEMENT_NAMES = new Map<string, string>();
function statementName(sql: string): string {
  let name = STATEMENT_NAMES.get(sql);
  if (name === undefined) {
    name = `rankstream_read_${STATEMENT_NAMES.size + 1}`;
    STATEMENT_NAMES.set(sql, name);
  }
  return name;
}

export function createPostgresReader(pool: pg.Pool, topic: string): RankingReader {
  async function one(sql: string, params: unknown[]): Promise<Record<string, any>> {
    const { rows } = await pool.query({ name: statementName(sql), text: sql, values: [topic, ...params] });
    return rows[0] as Record<string, any>;
  }

  /** The calendars of boards with periods, by `<timeZone>|<weekStartsOn>`, as USER_BOARDS has shown them. */
  const calendars = new Map<string, PeriodCalendar>([['UTC|monday', UTC_CALENDAR]]);

  /**
   * The instances in progress of the boards with a schedule, by board (JSON for USER_BOARDS): their
   * keys depend on the board's resets and seasons, not on its calendar alone.
   */
  async function scheduledKeys(nowMs: number, schedules?: ReadonlyMap<string, BoardSchedule>): Promise<string> {
    const boards = [...(schedules?.keys() ?? [])];
    if (boards.length === 0) return '{}';
    const { rows } = await pool.query<{ board: string; time_zone: string; week_starts_on: string }>(
      'SELECT board, time_zone, week_starts_on FROM boards WHERE board = ANY($1::text[])',
      [boards],
    );
    const keys = rows.map((r) => {
      const calendar = boardDefOf(r.board, { timeZone: r.time_zone, weekStartsOn: r.week_starts_on });
      return [r.board, currentPeriodKeys(nowMs, calendar, schedules?.get(r.board))];
    });
    return JSON.stringify(Object.fromEntries(keys));
  }

  function served<T>(row: Record<string, any>, value: T): StoreRead<T> {
    return { served: true, value, state: stateOf(row.off as Offsets) };
  }

  return {
    async boards() {
      const row = await one(BOARDS, []);
      const boards = (row.boards as [string, ...DefRow, number, [string, number][]][]).map(
        ([board, order, periods, timeZone, weekStartsOn, tiebreaks, players, regions]) => ({
          ...defOf(board, [order, periods, timeZone, weekStartsOn, tiebreaks]),
          players,
          regions: regions.map(([region, n]) => ({ region, players: Number(n) })),
        }),
      );
      return served(row, boards);
    },

    async top(board, periodKey, page, details = false) {
      const row =
        'offset' in page
          ? // The first page (the hot top-N call) skips nothing: no need to sum the buckets.
            await one(page.offset === 0 ? TOP_BY_OFFSET : TOP_BY_BUCKETED_OFFSET, [
              board,
              periodKey,
              page.offset,
              page.limit,
            ])
          : await one(TOP_AFTER, [
              board,
              periodKey,
              page.after.rankScore,
              page.after.reachedAt,
              page.after.userId,
              page.limit,
              page.after.tieKey ?? '',
            ]);
      if (!row.def) return served(row, null);
      const start = Number(row.start);
      return served(row, {
        def: defOf(board, row.def),
        total: Number(row.total),
        entries: (row.rows as PgRow[]).map((r, i) => ranked(start + i + 1, r, details)),
      });
    },

    async user(board, periodKey, userId, details = false) {
      const row = await one(USER, [board, periodKey, userId]);
      if (!row.def) return served(row, null);
      return served(row, {
        def: defOf(board, row.def),
        total: Number(row.total),
        entry: row.me ? rankedRow(row.me, details) : null,
      });
    },

    async around(board, periodKey, userId, radius, details = false) {
      const row = await one(AROUND, [board, periodKey, userId, radius]);
      if (!row.def) return served(row, null);
      const def = defOf(board, row.def);
      if (!row.me) return served(row, { def, total: Number(row.total), found: false, entries: [] });
      const me = rankedRow(row.me, details);
      // above comes nearest first (a descending scan); below nearest first too.
      const above = (row.above as PgRow[]).map((r, i) => ranked(me.rank - i - 1, r, details));
      const below = (row.below as PgRow[]).map((r, i) => ranked(me.rank + i + 1, r, details));
      return served(row, { def, total: Number(row.total), found: true, entries: [...above.reverse(), me, ...below] });
    },

    async ranks(board, periodKey, userIds, details = false) {
      const row = await one(RANKS, [board, periodKey, userIds]);
      if (!row.def) return served(row, null);
      return served(row, {
        def: defOf(board, row.def),
        total: Number(row.total),
        entries: (row.rows as PgRankedRow[]).map((r) => rankedRow(r, details)),
      });
    },

    async userBoards(userId, nowMs, schedules) {
      const keysNow = () =>
        JSON.stringify(Object.fromEntries([...calendars].map(([id, c]) => [id, currentPeriodKeys(nowMs, c)])));
      const scheduled = await scheduledKeys(nowMs, schedules);
      let row = await one(USER_BOARDS, [userId, keysNow(), scheduled]);
      const missing = row.missing as [string, string][];
      if (missing.length > 0) {
        // Boards on calendars not met before: learn them and read again, once.
        for (const [timeZone, weekStartsOn] of missing) {
          const { timeZone: zone, weekStartsOn: weekday } = boardDefOf('', { timeZone, weekStartsOn });
          calendars.set(`${timeZone}|${weekStartsOn}`, { timeZone: zone, weekStartsOn: weekday });
        }
        row = await one(USER_BOARDS, [userId, keysNow(), scheduled]);
      }
      const p = row.profile as [string, string | null, string | null] | null;
      return served(row, {
        profile: p ? { username: p[0], imageUrl: p[1], region: p[2] } : null,
        boards: (row.boards as [string, string, number, number, number][]).map(
          ([board, periodKey, rank, score, total]) => ({ board, periodKey, rank, score, total }),
        ),
      });
    },

    async state() {
      const row = await one(STATE, []);
      const state = stateOf(row.off as Offsets);
      return { served: true, value: state, state };
    },
  };
}
