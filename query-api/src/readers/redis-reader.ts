import {
  fromProfileValue,
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

/**
 * A script's reply (redis-scripts.ts): [status] when Redis cannot serve, else ['ok', version or
 * null, state or null (null: the caller's copy is current), ...the script's own fields].
 */
type ScriptReply = [status: string, version?: string | null, state?: [string[], string[]] | null, ...rest: unknown[]];
type RunScript = (name: ScriptName, args: readonly (string | number)[]) => Promise<ScriptReply>;

/** A row as the scripts send it: [rank, member, rankScore, profile value (profileValue()) or null]. */
type RawRow = [number, string, string, string | null];

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function parseState(version: string | null | undefined, raw: [string[], string[]]): StoreState {
  const [wm, beats] = raw;
  const watermark: Record<number, number> = {};
  for (let i = 0; i + 1 < wm.length; i += 2) watermark[Number(wm[i])] = Number(wm[i + 1]);
  const progress: Record<number, PartitionProgress> = {};
  for (let i = 0; i + 1 < beats.length; i += 2) {
    try {
      const parsed = JSON.parse(beats[i + 1]!) as { logEnd?: unknown; caughtUpAt?: unknown };
      if (typeof parsed.logEnd === 'number' && typeof parsed.caughtUpAt === 'number') {
        progress[Number(beats[i])] = { logEnd: parsed.logEnd, caughtUpAt: parsed.caughtUpAt };
      }
    } catch {
      // A malformed heartbeat only loses the lag figure for that partition.
    }
  }
  return version ? { watermark, progress, version } : { watermark, progress };
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
  const [rank, member, rankScore, value] = raw;
  const { reachedAt, userId } = fromRedisMember(member);
  const profile = fromProfileValue(value);
  return {
    rank,
    userId,
    score: fromRankScore(order, Number(rankScore)),
    reachedAt,
    username: profile?.username ?? null,
    imageUrl: profile?.imageUrl ?? null,
  };
}

function unavailable(reply: ScriptReply): StoreRead<never> | undefined {
  const [status] = reply;
  if (status === 'not_ready' || status === 'rebuilding' || status === 'board_missing') {
    return { served: false, reason: status };
  }
  if (status !== 'ok') throw new Error(`unexpected Redis script status ${status}`);
  return undefined;
}

/** Runs the read scripts with EVALSHA (ioredis falls back to EVAL once after a SCRIPT FLUSH or restart). */
export function scriptRunner(redis: Redis): RunScript {
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  }
  return async (name, args) => {
    const fn = (redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<ScriptReply>>)[name];
    return fn.apply(redis, args as (string | number)[]);
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
    known = states?.snapshot(),
  ): Promise<{ no: StoreRead<never> } | { no: undefined; reply: ScriptReply; state: StoreState }> {
    const ticket = states?.ticket() ?? 0;
    const reply = await run(script, [prefix, known?.version ?? '', ...extra]);
    const no = unavailable(reply);
    if (no) {
      if (reply[0] !== 'board_missing') states?.offer(undefined, ticket);
      return { no };
    }
    const [, version, raw] = reply;
    if (!raw && known) return { no, reply, state: known.state };
    const state = parseState(version, raw ?? [[], []]);
    if (state.version) states?.offer({ version: state.version, state }, ticket);
    return { no, reply, state };
  }

  // A board's definition travels only when this process holds none read at its current state
  // version, so it is parsed once per board and version.
  const defs = new Map<string, { version: string; def: BoardDef }>();

  /** The common path of the per-board reads: unavailable, or the def, total and state. */
  async function boardRead<T>(
    script: ScriptName,
    board: string,
    periodKey: string,
    extra: readonly (string | number)[],
    build: (def: BoardDef, total: number, fields: unknown[]) => T,
  ): Promise<StoreRead<T>> {
    const known = states?.snapshot();
    const held = known ? defs.get(board) : undefined;
    const current = held && held.version === known?.version ? held.def : undefined;
    const r = await read(script, [board, periodKey, current ? '0' : '1', ...extra], known);
    if (r.no) return r.no;
    const [, version, , json, total, ...fields] = r.reply;
    let def = current;
    if (typeof json === 'string') {
      def = parseBoardDef(board, json);
      if (version) {
        if (defs.size >= 1_000 && !defs.has(board)) defs.clear();
        defs.set(board, { version, def });
      }
    }
    if (!def) throw new Error('Redis sent no board definition to a reader that holds none');
    return { served: true, value: build(def, Number(total), fields), state: r.state };
  }

  return {
    async boards() {
      const r = await read('rsBoards', []);
      if (r.no) return r.no;
      const { reply, state } = r;
      const boards = list<[string, string, number]>(reply[3]).map(([board, json, players]) => ({
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
      return boardRead('rsTop', board, periodKey, args, (def, total, [rows]) => ({
        def,
        total,
        entries: list<RawRow>(rows).map((r) => toRow(def.order, r)),
      }));
    },

    user(board, periodKey, userId) {
      return boardRead('rsUser', board, periodKey, [userId], (def, total, [row]) => ({
        def,
        total,
        entry: Array.isArray(row) ? toRow(def.order, row as RawRow) : null,
      }));
    },

    around(board, periodKey, userId, radius) {
      return boardRead('rsAround', board, periodKey, [userId, radius], (def, total, [found, rows]) => ({
        def,
        total,
        found: found === 1,
        entries: list<RawRow>(rows).map((r) => toRow(def.order, r)),
      }));
    },

    ranks(board, periodKey, userIds) {
      return boardRead('rsRanks', board, periodKey, userIds, (def, total, [rows]) => ({
        def,
        total,
        entries: list<RawRow>(rows).map((r) => toRow(def.order, r)),
      }));
    },

    async userBoards(userId, current) {
      const r = await read('rsUserBoards', [userId, current.daily, current.weekly, current.monthly]);
      if (r.no) return r.no;
      const { reply, state } = r;
      const standings = list<[string, string, number, string, number, RankOrder]>(reply[3]);
      const profile = fromProfileValue(reply[4] as string | null);
      return {
        served: true,
        state,
        value: {
          profile: profile ? { username: profile.username, imageUrl: profile.imageUrl, region: profile.region } : null,
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
      const state = parseState(reply[1], reply[2] ?? [[], []]);
      return { served: true, value: state, state };
    },
  };
}
