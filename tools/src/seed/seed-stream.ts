import type { Period, ProfileEvent, ScoreEvent, ScoreOp } from '@rankstream/schemas';

export interface SeedBoard {
  board: string;
  order: 'desc' | 'asc';
  op: ScoreOp;
  periods: Period[];
}

/** `name[:order[:op[:period+period]]]`, e.g. `speedrun:asc:min:daily+weekly`. */
export function parseBoards(spec: string): SeedBoard[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [board = '', order = 'desc', op = 'add', periods = ''] = s.split(':');
      if (order !== 'desc' && order !== 'asc') throw new Error(`board ${board}: order must be desc or asc`);
      if (!['add', 'set', 'max', 'min'].includes(op)) throw new Error(`board ${board}: op must be add|set|max|min`);
      return {
        board,
        order,
        op: op as ScoreOp,
        periods: periods ? (periods.split('+') as Period[]) : [],
      };
    });
}

/** A small seeded generator (mulberry32): the same seed writes the same events. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function userIdOf(i: number): string {
  return `player-${i}`;
}

export function profileEvent(run: string, i: number, occurredAt: number): ProfileEvent {
  return {
    eventId: `${run}-p${i}`,
    userId: userIdOf(i),
    username: `Player ${i}`,
    imageUrl: null,
    region: ['eu', 'us', 'ap', 'sa'][i % 4] ?? null,
    occurredAt,
  };
}

/**
 * Score events the way games send them: users drawn uniformly, values 1-1000, occurredAt spread
 * over the last `spanMs`, each board's op and periods stamped as the ingest API would.
 */
export function scoreEvent(
  run: string,
  i: number,
  rnd: () => number,
  options: { users: number; boards: readonly SeedBoard[]; now: number; spanMs: number },
): ScoreEvent {
  const board = options.boards[Math.floor(rnd() * options.boards.length)] as SeedBoard;
  return {
    eventId: `${run}-s${i}`,
    userId: userIdOf(Math.floor(rnd() * options.users)),
    board: board.board,
    op: board.op,
    value: 1 + Math.floor(rnd() * 1000),
    occurredAt: options.now - Math.floor(rnd() * options.spanMs),
    periods: board.periods,
    source: 'seed',
    metadata: null,
    limits: null,
    calendar: null,
    tiebreaks: [],
    region: null,
  };
}
