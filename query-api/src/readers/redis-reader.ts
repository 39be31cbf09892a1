import {
  epochMarkers,
  fromProfileValue,
  fromRankScore,
  fromRedisMember,
  fromTieKey,
  isKeptInstance,
  keptPeriodsOf,
  redisKeys,
  regionalKey,
  toRedisMember,
} from '@rankstream/schemas';
import { isCluster, type Redis } from '@rankstream/schemas/runtime';
import { boardDefOf, tieOrdersOf } from '../domain/board-def.js';
import { currentPeriodKeys } from '../domain/period-selection.js';
import type {
  BoardDef,
  PartitionProgress,
  RankedRow,
  RankingReader,
  StoreRead,
  StoreState,
} from '../domain/read-model.js';
import type { BoardSchedules } from './board-schedules.js';
import type { ProjectionStateCache, StateSnapshot } from './projection-state.js';
import { SCRIPTS, type ScriptName, type ScriptRow } from './redis-scripts.js';

type Reply = [status: string, ...rest: unknown[]];
type RunScript = (name: ScriptName, keys: readonly string[], args: readonly (string | number)[]) => Promise<Reply>;

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function parseState(version: string, wm: string[], beats: string[]): StoreState {
  const watermark: Record<number, number> = {};
  for (const [p, o] of pairs(wm)) watermark[Number(p)] = Number(o);
  const progress: Record<number, PartitionProgress> = {};
  for (const [p, json] of pairs(beats)) {
    try {
      const parsed = JSON.parse(json) as { logEnd?: unknown; caughtUpAt?: unknown };
      if (typeof parsed.logEnd === 'number' && typeof parsed.caughtUpAt === 'number') {
        progress[Number(p)] = { logEnd: parsed.logEnd, caughtUpAt: parsed.caughtUpAt };
      }
    } catch {
      // A malformed heartbeat only loses the lag figure for that partition.
    }
  }
  return { watermark, progress, version };
}

/** `{s}boards` values are JSON {"order","defaultOp","periods","timeZone","weekStartsOn","createdAt"}, mirrored by the projector. */
export function parseBoardDef(board: string, json: string): BoardDef {
  return boardDefOf(board, JSON.parse(json));
}

function toRow(def: BoardDef, raw: ScriptRow, profileJson: string | null | undefined): RankedRow {
  const [rank, member, rankScore] = raw;
  const { reachedAt, userId, tieKey } = fromRedisMember(member);
  const profile = fromProfileValue(profileJson);
  const row: RankedRow = {
    rank,
    userId,
    score: fromRankScore(def.order, Number(rankScore)),
    reachedAt,
    username: profile?.username ?? null,
    imageUrl: profile?.imageUrl ?? null,
  };
  if (raw.length > 3) row.details = raw[3] ?? null;
  // The tie-break values are in the member itself: its digits before the reachedAt.
  if (def.tiebreaks.length > 0) row.tiebreaks = fromTieKey(tieOrdersOf(def), tieKey);
  return row;
}

/** Runs the read scripts with EVALSHA (ioredis falls back to EVAL once after a SCRIPT FLUSH or restart). */
export function scriptRunner(redis: Redis): RunScript {
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: keys, lua });
  }
  return async (name, keys, args) => {
    const fn = (redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<Reply>>)[name];
    return fn.apply(redis, [...keys, ...args]);
  };
}

type InstanceUnserved = 'stale_epoch' | 'beyond_top_k' | 'rebuilding';

/**
 * A board instance's script could not answer: its slot lost its data or a rebuild began since the
 * state was read (`stale_epoch`), a rebuild is filling it (`rebuilding`), or the answer needs
 * entries past the best K that a capped instance holds (`beyond_top_k`).
 */
class Unserved extends Error {
  constructor(readonly reason: InstanceUnserved) {
    super(reason);
  }
}

const UNSERVED_STATUS: Record<string, InstanceUnserved> = { beyond: 'beyond_top_k', filling: 'rebuilding' };

function unserved(error: unknown): StoreRead<never> {
  if (error instanceof Unserved) return { served: false, reason: error.reason };
  throw error;
}

export interface RedisReader extends RankingReader {
  /** The whole projection state, for the in-memory copy (ProjectionStateCache); undefined: Redis cannot serve. */
  snapshot(): Promise<StateSnapshot | undefined>;
}

/**
 * Reads the projection from Redis, standalone or cluster alike. The projection's state comes from
 * memory (`states`, refreshed on every new version) or, without one, is fetched for each read; the
 * data is read after it, so an answer is never older than the watermark it reports.
 */
export function createRedisReader(
  redis: Redis,
  prefix: string,
  states: ProjectionStateCache | undefined,
  /** The boards' seasons, which say which season instances Redis keeps (REDIS_KEEP_PERIODS). */
  schedules: Pick<BoardSchedules, 'forKeeping'>,
): RedisReader {
  const run = scriptRunner(redis);
  const keys = redisKeys(prefix);
  const markers = epochMarkers(keys, isCluster(redis));
  /** The profiles key for the board scripts to read from with their rows: on a standalone server only. */
  const inlineProfiles = isCluster(redis) ? undefined : keys.profiles;
  const stateKeys = [
    keys.ready,
    keys.rebuilding,
    keys.stateVersion,
    keys.layout,
    keys.watermarks,
    keys.progress,
    keys.boards,
  ];

  async function fetchSnapshot(): Promise<StateSnapshot | StoreRead<never>> {
    const [status, version, epoch, raw, layout] = await run('rsState', stateKeys, []);
    if (status === 'not_ready' || status === 'rebuilding') return { served: false, reason: status };
    if (status !== 'ok') throw new Error(`unexpected Redis script status ${status}`);
    const [wm, beats, boards] = raw as [string[], string[], string[]];
    const defs = new Map<string, BoardDef>();
    for (const [board, json] of pairs(boards)) defs.set(board, parseBoardDef(board, json));
    return {
      version: String(version ?? ''),
      epoch: String(epoch),
      boards: defs,
      keepPeriods: keptPeriodsOf(String(layout)),
      state: parseState(String(version ?? ''), wm, beats),
    };
  }

  /** The state a read goes by: the copy in memory, or a fresh one (offered to the copy). */
  async function current(): Promise<StateSnapshot | StoreRead<never>> {
    const held = states?.snapshot();
    if (held) return held;
    const ticket = states?.ticket() ?? 0;
    const fresh = await fetchSnapshot();
    states?.offer('served' in fresh ? undefined : fresh, ticket);
    return fresh;
  }

  function stale(): never {
    void states?.refresh();
    throw new Unserved('stale_epoch');
  }

  async function profilesOf(epoch: string, userIds: readonly string[]): Promise<(string | null)[]> {
    if (userIds.length === 0) return [];
    const [status, values] = await run('rsProfiles', [keys.profiles, markers.of(keys.profiles)], [epoch, ...userIds]);
    if (status !== 'ok') stale();
    return values as (string | null)[];
  }

  /** A board instance's script, then the profiles of the rows it found. */
  async function instanceRead(
    script: ScriptName,
    snap: StateSnapshot,
    board: string,
    periodKey: string,
    extra: readonly (string | number)[],
    details = false,
  ): Promise<{ total: number; fields: unknown[] }> {
    const lb = keys.leaderboard(board, periodKey);
    const reply = await run(
      script,
      [
        lb,
        keys.memberIndex(board, periodKey),
        markers.of(lb),
        keys.instanceMeta(board, periodKey),
        inlineProfiles ?? lb,
      ],
      [snap.epoch, details ? '1' : '0', ...extra],
    );
    const status = UNSERVED_STATUS[String(reply[0])];
    if (status) throw new Unserved(status);
    if (reply[0] !== 'ok') stale();
    const [, total, ...fields] = reply;
    return { total: Number(total), fields };
  }

  /** The rows with their profiles: those the script read with them (standalone), else read now. */
  async function withRows(
    snap: StateSnapshot,
    def: BoardDef,
    raw: readonly ScriptRow[],
    inline: unknown,
  ): Promise<RankedRow[]> {
    const profiles = Array.isArray(inline)
      ? (inline as (string | null)[])
      : await profilesOf(
          snap.epoch,
          raw.map((r) => fromRedisMember(r[1]).userId),
        );
    return raw.map((r, i) => toRow(def, r, profiles[i]));
  }

  /** The common path of the per-board reads: unavailable, or the def, total and state. */
  async function boardRead<T>(
    script: ScriptName,
    board: string,
    periodKey: string,
    extra: readonly (string | number)[],
    details: boolean,
    build: (snap: StateSnapshot, def: BoardDef, total: number, fields: unknown[]) => Promise<T>,
  ): Promise<StoreRead<T>> {
    const snap = await current();
    if ('served' in snap) return snap;
    const def = snap.boards.get(board);
    if (!def) return { served: false, reason: 'board_missing' };
    // Instances past the newest few (REDIS_KEEP_PERIODS) are in PostgreSQL only.
    if (!isKeptInstance(periodKey, Date.now(), def, schedules.forKeeping(board), snap.keepPeriods))
      return { served: false, reason: 'not_kept' };
    try {
      const { total, fields } = await instanceRead(script, snap, board, periodKey, extra, details);
      return { served: true, value: await build(snap, def, total, fields), state: snap.state };
    } catch (error) {
      return unserved(error);
    }
  }

  return {
    snapshot: async () => {
      const s = await fetchSnapshot();
      return 'served' in s ? undefined : s;
    },

    async boards() {
      const snap = await current();
      if ('served' in snap) return snap;
      try {
        const regionsOf = new Map<string, string[]>();
        for (const member of await redis.smembers(keys.regions)) {
          const cut = member.lastIndexOf('|');
          const board = member.slice(0, cut);
          regionsOf.set(board, [...(regionsOf.get(board) ?? []), member.slice(cut + 1)]);
        }
        const boards = await Promise.all(
          [...snap.boards.values()].map(async (def) => {
            const count = (periodKey: string) => instanceRead('rsCount', snap, def.board, periodKey, []);
            const [{ total }, ...regional] = await Promise.all([
              count('all'),
              ...(regionsOf.get(def.board) ?? []).map(async (region) => ({
                region,
                players: (await count(regionalKey('all', region))).total,
              })),
            ]);
            return { ...def, players: total, regions: regional.filter((r) => r.players > 0) };
          }),
        );
        return { served: true, value: boards, state: snap.state };
      } catch (error) {
        return unserved(error);
      }
    },

    top(board, periodKey, page, details = false) {
      const args =
        'offset' in page
          ? ['offset', page.offset, page.limit, 0, '']
          : [
              'after',
              0,
              page.limit,
              String(page.after.rankScore),
              // Rebuilt from the cursor's parts: a user who has moved since is still placed by position.
              toRedisMember(page.after.reachedAt, page.after.userId, page.after.tieKey),
            ];
      return boardRead('rsTop', board, periodKey, args, details, async (snap, def, total, [rows, profiles]) => ({
        def,
        total,
        entries: await withRows(snap, def, list<ScriptRow>(rows), profiles),
      }));
    },

    user(board, periodKey, userId, details = false) {
      return boardRead('rsUser', board, periodKey, [userId], details, async (snap, def, total, [row, profiles]) => ({
        def,
        total,
        entry: Array.isArray(row) ? (await withRows(snap, def, [row as ScriptRow], profiles))[0]! : null,
      }));
    },

    around(board, periodKey, userId, radius, details = false) {
      return boardRead(
        'rsAround',
        board,
        periodKey,
        [userId, radius],
        details,
        async (snap, def, total, [found, rows, profiles]) => ({
          def,
          total,
          found: found === 1,
          entries: await withRows(snap, def, list<ScriptRow>(rows), profiles),
        }),
      );
    },

    ranks(board, periodKey, userIds, details = false) {
      return boardRead('rsRanks', board, periodKey, userIds, details, async (snap, def, total, [rows, profiles]) => ({
        def,
        total,
        entries: await withRows(snap, def, list<ScriptRow>(rows), profiles),
      }));
    },

    async userBoards(userId, nowMs, schedules) {
      const snap = await current();
      if ('served' in snap) return snap;
      try {
        const instances = [...snap.boards.values()].flatMap((def) => {
          const current = currentPeriodKeys(nowMs, def, schedules?.get(def.board));
          const instanceKeys = [
            'all',
            ...def.periods.map((p) => current[p]),
            ...(current.season ? [current.season] : []),
          ];
          return instanceKeys.map((periodKey) => ({ def, periodKey }));
        });
        const [found, [profileJson]] = await Promise.all([
          Promise.all(
            instances.map(async ({ def, periodKey }) => {
              const { total, fields } = await instanceRead('rsUser', snap, def.board, periodKey, [userId]);
              const row = fields[0] as ScriptRow | false;
              return row ? { def, periodKey, total, row } : undefined;
            }),
          ),
          profilesOf(snap.epoch, [userId]),
        ]);
        const profile = fromProfileValue(profileJson);
        return {
          served: true,
          state: snap.state,
          value: {
            profile: profile
              ? { username: profile.username, imageUrl: profile.imageUrl, region: profile.region }
              : null,
            boards: found
              .filter((f) => f !== undefined)
              .map(({ def, periodKey, total, row }) => ({
                board: def.board,
                periodKey,
                rank: row[0],
                score: fromRankScore(def.order, Number(row[2])),
                total,
              })),
          },
        };
      } catch (error) {
        return unserved(error);
      }
    },

    async state() {
      const snap = await fetchSnapshot();
      if ('served' in snap) return snap;
      return { served: true, value: snap.state, state: snap.state };
    },
  };
}
