import type { BoardSchedule, Period, PeriodCalendar, RankOrder, ScoreOp } from '@rankstream/schemas';

/**
 * What the readers hand to the response-shaping functions. Both stores are read into these shapes
 * and nothing else, so that one set of shaping functions makes the JSON for both.
 */
export interface BoardDef extends PeriodCalendar {
  board: string;
  order: RankOrder;
  /** The board's tie-break columns, compared in this order after the score (none: []). */
  tiebreaks: { order: RankOrder; op: ScoreOp }[];
  periods: Period[];
}

export interface PartitionProgress {
  logEnd: number;
  caughtUpAt: number;
}

/** The store's position in the events log, read in the same snapshot as the data it comes with. */
export interface StoreState {
  /** partition -> next offset whose effects are in the store. */
  watermark: Record<number, number>;
  progress: Record<number, PartitionProgress>;
  /** Redis only: the state version (REDIS_KEY.stateVersion) this state was read at, if it has one. */
  version?: string;
}

export interface RankedRow {
  rank: number;
  userId: string;
  score: number;
  reachedAt: number;
  username: string | null;
  imageUrl: string | null;
  /** The entry's details (JSON text; null: none), when the read asked for them. */
  details?: string | null;
  /** Its tie-break values, on boards with columns. */
  tiebreaks?: number[];
}

/** A position in the ranking order, used by cursors: the entry a page continues after. */
export interface RankPosition {
  rankScore: number;
  /** ranking.ts toTieKey of the entry's tie-break values; absent on boards without columns. */
  tieKey?: string;
  reachedAt: number;
  userId: string;
}

export type TopPage = { offset: number; limit: number } | { after: RankPosition; limit: number };

export interface BoardSummary extends BoardDef {
  players: number;
  /** Its regional views with players now (all-time). */
  regions: { region: string; players: number }[];
}

/** `null` board: the board does not exist. */
export interface TopRead {
  def: BoardDef;
  total: number;
  entries: RankedRow[];
}

export interface UserRead {
  def: BoardDef;
  total: number;
  entry: RankedRow | null;
}

export interface AroundRead {
  def: BoardDef;
  total: number;
  /** Empty when the user has no score there. */
  entries: RankedRow[];
  found: boolean;
}

export interface RanksRead {
  def: BoardDef;
  total: number;
  entries: RankedRow[];
}

export interface UserBoardStanding {
  board: string;
  periodKey: string;
  rank: number;
  score: number;
  total: number;
}

export interface Profile {
  username: string | null;
  imageUrl: string | null;
  region: string | null;
}

export interface UserBoardsRead {
  profile: Profile | null;
  boards: UserBoardStanding[];
}

/** A board's current period keys, for the reads that span every period of every board. */
/** The instances in progress of a board: one per calendar period, and its season's when one runs. */
export type CurrentPeriodKeys = Record<Period, string> & { season?: string };

/**
 * One store's answer: the value (null = unknown board) with the store state of the same snapshot,
 * or why this store cannot answer (then the other one is asked).
 */
export type StoreRead<T> =
  | { served: true; value: T; state: StoreState }
  | {
      served: false;
      reason: 'not_ready' | 'rebuilding' | 'board_missing' | 'stale_epoch' | 'beyond_top_k' | 'not_kept';
    };

export interface RankingReader {
  boards(): Promise<StoreRead<BoardSummary[]>>;
  /** With `details`, each row carries the entry's details (the other reads likewise). */
  top(board: string, periodKey: string, page: TopPage, details?: boolean): Promise<StoreRead<TopRead | null>>;
  user(board: string, periodKey: string, userId: string, details?: boolean): Promise<StoreRead<UserRead | null>>;
  around(
    board: string,
    periodKey: string,
    userId: string,
    radius: number,
    details?: boolean,
  ): Promise<StoreRead<AroundRead | null>>;
  ranks(
    board: string,
    periodKey: string,
    userIds: readonly string[],
    details?: boolean,
  ): Promise<StoreRead<RanksRead | null>>;
  /**
   * The user's entries in all-time and each board's instances in progress, as of `nowMs` on each
   * board's calendar and by its schedule (resets, the season running) when `schedules` has one.
   */
  userBoards(
    userId: string,
    nowMs: number,
    schedules?: ReadonlyMap<string, BoardSchedule>,
  ): Promise<StoreRead<UserBoardsRead>>;
  /** Just the store state: the cheap change marker streams poll. */
  state(): Promise<StoreRead<StoreState>>;
}

export type StoreName = 'redis' | 'postgres';
