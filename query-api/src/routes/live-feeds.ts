import type { AppDeps } from '../deps.js';
import { type Scope, shapeTop, shapeUserStream } from '../domain/answers.js';
import type { BoardDef, RankingReader, StoreName, StoreRead, StoreState } from '../domain/read-model.js';
import type { FeedSpec } from '../live/feed-hub.js';
import type { Served } from '../readers/fallback.js';
import { checkBoard, namedRightly, type PeriodChoice, requestScope, scopeKnowingSeasons } from './board-routes.js';

interface FeedChoice extends PeriodChoice {
  details?: boolean;
}

/** A feed and its first answer, read to refuse an unknown board or period before subscribing. */
export interface OpenedFeed {
  spec: FeedSpec;
  first: { servedBy: StoreName; state: StoreState };
}

/** `top` events: the board's top `limit` of the period chosen, as GET .../top answers it. */
export async function topFeed(deps: AppDeps, board: string, q: FeedChoice & { limit: number }): Promise<OpenedFeed> {
  const readTop = async (named: Scope) => {
    const { scope, read } = await readNamed(deps, board, q, named, (r, s) =>
      r.top(board, s.periodKey, { offset: 0, limit: q.limit }, q.details),
    );
    const body = JSON.stringify(shapeTop(scope, checkBoard(scope, read.value)));
    return { body, servedBy: read.servedBy, state: read.state };
  };
  return opened(
    deps,
    {
      key: JSON.stringify([
        'top',
        board,
        q.period,
        q.at ?? null,
        q.season ?? null,
        q.region ?? null,
        q.limit,
        q.details ?? false,
      ]),
      event: 'top',
      scopeNow: () => requestScope(deps, board, q),
      readBody: async (scope) => (await readTop(scope)).body,
    },
    readTop,
  );
}

/** `rank` events: a user's standing and `radius` neighbours on each side. */
export async function userFeed(
  deps: AppDeps,
  board: string,
  userId: string,
  q: FeedChoice & { radius: number },
): Promise<OpenedFeed> {
  const readRank = async (named: Scope) => {
    const { scope, read } = await readNamed(deps, board, q, named, (r, s) =>
      r.around(board, s.periodKey, userId, q.radius, q.details),
    );
    const body = JSON.stringify(shapeUserStream(scope, userId, checkBoard(scope, read.value)));
    return { body, servedBy: read.servedBy, state: read.state };
  };
  return opened(
    deps,
    {
      key: JSON.stringify([
        'rank',
        board,
        userId,
        q.period,
        q.at ?? null,
        q.season ?? null,
        q.region ?? null,
        q.radius,
        q.details ?? false,
      ]),
      event: 'rank',
      scopeNow: () => requestScope(deps, board, q),
      readBody: async (scope) => (await readRank(scope)).body,
    },
    readRank,
  );
}

/** A feed's read, read again once with the board's calendar when the scope was named by another. */
async function readNamed<T extends { def: BoardDef }>(
  deps: AppDeps,
  board: string,
  q: FeedChoice,
  named: Scope,
  op: (reader: RankingReader, scope: Scope) => Promise<StoreRead<T | null>>,
): Promise<{ scope: Scope; read: Served<T | null> }> {
  const read = await deps.reader.read((r) => op(r, named));
  if (namedRightly(deps, named, read.value)) return { scope: named, read };
  const scope = requestScope(deps, board, q);
  return { scope, read: await deps.reader.read((r) => op(r, scope)) };
}

/** Reads the first answer: an unknown board or period throws its JSON error before any stream starts. */
async function opened(
  deps: AppDeps,
  spec: FeedSpec,
  read: (scope: Scope) => Promise<{ body: string; servedBy: StoreName; state: StoreState }>,
): Promise<OpenedFeed> {
  const first = await read(await scopeKnowingSeasons(deps, spec.scopeNow));
  return { spec, first: { servedBy: first.servedBy, state: first.state } };
}
