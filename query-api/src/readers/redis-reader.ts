import {
  fromRankScore,
  fromRedisMember,
  PERIODS,
  type Period,
  RANK_ORDERS,
  type RankOrder,
  toRedisMember,
} from '@rankstream/schemas';
import type { Redis } from 'ioredis';
import type {
  BoardDef,
  PartitionProgress,
  RankedRow,
  RankingReader,
  StoreRead,
  StoreState,
} from '../domain/read-model.js';
import type { ProjectionStateCache } from './projection-state.js';
import { SCRIPTS, type ScriptName } from './redis-scripts.js';

type ScriptReply = Record<string, unknown> & { status: string };
type RunScript = (name: ScriptName, args: readonly (string | number)[]) => Promise<ScriptReply>;

/** A row as the scripts send it: [rank, member, rankScore, username|false, imageUrl|false]. */
type RawRow = [number, string, string, string | false, string | false];

/** cjson encodes an empty Lua table as an object. */
function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function orNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function flatPairs(value: unknown): [string, string][] {
  const flat = list<string>(value);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

function parseState(reply: ScriptReply): StoreState {
  const watermark: Record<number, number> = {};
  for (const [p, off] of flatPairs(reply.wm)) watermark[Number(p)] = Number(off);
  const progress: Record<number, PartitionProgress> = {};
  for (const [p, json] of flatPairs(reply.progress)) {
    try {
      const parsed = JSON.parse(json) as { logEnd?: unknown; caughtUpAt?: unknown };
      if (typeof parsed.logEnd === 'number' && typeof parsed.caughtUpAt === 'number') {
        progress[Number(p)] = { logEnd: parsed.logEnd, caughtUpAt: parsed.caughtUpAt };
      }
    } catch {
      // A malformed heartbeat only loses the lag figure for that partition.
    }
  }
  return reply.v ? { watermark, progress, version: String(reply.v) } : { watermark, progress };
}

/** `P boards` values are JSON {"order","defaultOp","periods","createdAt"}, mirrored by the projector. */
export function parseBoardDef(board: string, json: string): BoardDef {
  const raw = JSON.parse(json) as { order?: unknown; periods?: unknown };
  const order = RANK_ORDERS.includes(raw.order as RankOrder) ? (raw.order as RankOrder) : 'desc';
  const periods = Array.isArray(raw.periods)
    ? (raw.periods.filter((p) => PERIODS.includes(p as Period)) as Period[])
    : [];
  return { board, order, periods };
}

function toRow(order: RankOrder, raw: RawRow): RankedRow {
  const [rank, member, rankScore, username, imageUrl] = raw;
  const { reachedAt, userId } = fromRedisMember(member);
  return {
    rank,
    userId,
    score: fromRankScore(order, Number(rankScore)),
    reachedAt,
    username: orNull(username),
    imageUrl: orNull(imageUrl),
  };
}

function unavailable(reply: ScriptReply): StoreRead<never> | undefined {
  if (reply.status === 'not_ready' || reply.status === 'rebuilding' || reply.status === 'board_missing') {
    return { served: false, reason: reply.status };
  }
  if (reply.status !== 'ok') throw new Error(`unexpected Redis script status ${reply.status}`);
  return undefined;
}

/** Runs the read scripts with EVALSHA (ioredis falls back to EVAL once after a SCRIPT FLUSH or restart). */
export function scriptRunner(redis: Redis): RunScript {
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  }
  return async (name, args) => {
    const fn = (redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<string>>)[name];
    return JSON.parse(await fn.apply(redis, [...args])) as ScriptReply;
  };
}

export function createRedisReader(redis: Redis, prefix: string, states?: ProjectionStateCache): RankingReader {
  const run = scriptRunner(redis);

  /**
   * Runs a script with the version of the state held in memory. The reply carries the state only
   * when that copy is not current; it then replaces the copy.
   */
  async function read(
    script: ScriptName,
    extra: readonly (string | number)[],
  ): Promise<{ no: StoreRead<never> } | { no: undefined; reply: ScriptReply; state: StoreState }> {
    const known = states?.snapshot();
    const ticket = states?.ticket() ?? 0;
    const reply = await run(script, [prefix, known?.version ?? '', ...extra]);
    const no = unavailable(reply);
    if (no) {
      if (reply.status !== 'board_missing') states?.offer(undefined, ticket);
      return { no };
    }
    if (reply.wm === undefined && known) return { no, reply, state: known.state };
    const state = parseState(reply);
    if (state.version) states?.offer({ version: state.version, state }, ticket);
    return { no, reply, state };
  }

  // Definitions change rarely and every read brings one: parse each text once.
  const defs = new Map<string, BoardDef>();
  function boardDef(board: string, json: string): BoardDef {
    const key = `${board}\n${json}`;
    let def = defs.get(key);
    if (!def) {
      if (defs.size >= 1_000) defs.clear();
      def = parseBoardDef(board, json);
      defs.set(key, def);
    }
    return def;
  }

  /** The common path of the per-board reads: unavailable, or the def, total and state. */
  async function boardRead<T>(
    script: ScriptName,
    board: string,
    periodKey: string,
    extra: readonly (string | number)[],
    build: (def: BoardDef, total: number, reply: ScriptReply) => T,
  ): Promise<StoreRead<T>> {
    const r = await read(script, [board, periodKey, ...extra]);
    if (r.no) return r.no;
    const def = boardDef(board, String(r.reply.def));
    return { served: true, value: build(def, Number(r.reply.total), r.reply), state: r.state };
  }

  return {
    async boards() {
      const r = await read('rsBoards', []);
      if (r.no) return r.no;
      const { reply, state } = r;
      const boards = list<[string, string, number]>(reply.boards).map(([board, json, players]) => ({
        ...parseBoardDef(board, json),
        players,
      }));
      return { served: true, value: boards, state };
    },

    top(board, periodKey, page) {
      const args =
        'offset' in page
          ? ['offset', page.offset, page.limit, 0, '']
          : [
              'after',
              0,
              page.limit,
              String(page.after.rankScore),
              // Rebuilt from the cursor's parts: a user who has moved since is still placed by position.
              toRedisMember(page.after.reachedAt, page.after.userId),
            ];
      return boardRead('rsTop', board, periodKey, args, (def, total, reply) => ({
        def,
        total,
        entries: list<RawRow>(reply.rows).map((r) => toRow(def.order, r)),
      }));
    },

    user(board, periodKey, userId) {
      return boardRead('rsUser', board, periodKey, [userId], (def, total, reply) => ({
        def,
        total,
        entry: Array.isArray(reply.row) ? toRow(def.order, reply.row as RawRow) : null,
      }));
    },

    around(board, periodKey, userId, radius) {
      return boardRead('rsAround', board, periodKey, [userId, radius], (def, total, reply) => ({
        def,
        total,
        found: reply.found === true,
        entries: list<RawRow>(reply.rows).map((r) => toRow(def.order, r)),
      }));
    },

    ranks(board, periodKey, userIds) {
      return boardRead('rsRanks', board, periodKey, userIds, (def, total, reply) => ({
        def,
        total,
        entries: list<RawRow>(reply.rows).map((r) => toRow(def.order, r)),
      }));
    },

    async userBoards(userId, current) {
      const r = await read('rsUserBoards', [userId, current.daily, current.weekly, current.monthly]);
      if (r.no) return r.no;
      const { reply, state } = r;
      const profile = list<string | false>(reply.profile);
      const standings = list<[string, string, number, string, number, RankOrder]>(reply.boards);
      return {
        served: true,
        state,
        value: {
          profile:
            typeof profile[0] === 'string'
              ? { username: profile[0], imageUrl: orNull(profile[1]), region: orNull(profile[2]) }
              : null,
          boards: standings.map(([board, periodKey, rank, rankScore, total, order]) => ({
            board,
            periodKey,
            rank,
            score: fromRankScore(order, Number(rankScore)),
            total,
          })),
        },
      };
    },

    async state() {
      const reply = await run('rsState', [prefix, '']);
      const no = unavailable(reply);
      if (no) return no;
      const state = parseState(reply);
      return { served: true, value: state, state };
    },
  };
}
