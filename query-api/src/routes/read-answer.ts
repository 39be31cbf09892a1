import {
  type ConsistencyRequirement,
  decodeConsistencyToken,
  type ErrorDetail,
  HttpError,
  invalidRequest,
  mergeConsistencyRequirements,
} from '@rankstream/schemas';
import type { Context } from 'hono';
import type { AppDeps } from '../deps.js';
import { etagMatches, watermarkEtag } from '../domain/etag.js';
import { coversRequirements, projectionLagMs } from '../domain/projection-lag.js';
import type { RankingReader, StoreRead } from '../domain/read-model.js';
import type { Served } from '../readers/fallback.js';

/**
 * The consistency tokens of a request: every `after` query value and the X-Consistency-Token
 * header (comma-separated allowed), merged to the highest offset per partition.
 */
export function consistencyRequirements(c: Context, topic: string): ConsistencyRequirement[] {
  const fromQuery = (c.req.queries('after') ?? []).map((t) => ({ t, path: 'after' }));
  const header = c.req.header('x-consistency-token');
  const fromHeader = (header ? header.split(',') : []).map((t) => ({ t: t.trim(), path: 'X-Consistency-Token' }));
  const details: ErrorDetail[] = [];
  const reqs: ConsistencyRequirement[] = [];
  for (const { t, path } of [...fromQuery, ...fromHeader]) {
    const req = decodeConsistencyToken(t);
    if (!req) details.push({ path, message: 'is not a consistency token' });
    else if (req.topic !== topic) details.push({ path, message: `is for topic ${req.topic}, not ${topic}` });
    else reqs.push(req);
  }
  if (details.length) throw invalidRequest(details);
  return mergeConsistencyRequirements(reqs);
}

export interface ConsistentRead<T> {
  served: Served<T>;
  stale: boolean;
}

/** Reads, and with tokens re-reads until the serving store covers them or the wait is over. */
export async function consistentRead<T>(
  deps: AppDeps,
  requirements: readonly ConsistencyRequirement[],
  op: (reader: RankingReader) => Promise<StoreRead<T>>,
): Promise<ConsistentRead<T>> {
  const first = await deps.reader.read(op);
  if (requirements.length === 0) return { served: first, stale: false };
  const deadline = deps.now() + deps.config.CONSISTENCY_WAIT_MS;
  let served = first;
  for (;;) {
    if (coversRequirements(served.state.watermark, requirements)) {
      deps.metrics.consistencyWaits.inc({ outcome: 'covered' });
      return { served, stale: false };
    }
    const left = deadline - deps.now();
    if (left <= 0) {
      deps.metrics.consistencyWaits.inc({ outcome: 'stale' });
      return { served, stale: true };
    }
    await deps.sleep(Math.min(deps.config.CONSISTENCY_POLL_MS, left));
    served = await deps.reader.read(op);
  }
}

/** The headers every /v1 answer carries once a store has been read. */
export function setStoreHeaders(c: Context, deps: AppDeps, read: ConsistentRead<unknown>): void {
  c.header('X-Served-By', read.served.servedBy);
  c.header('X-Projection-Lag-Ms', String(projectionLagMs(read.served.state, deps.now())));
  c.header('Vary', 'X-Consistency-Token', { append: true });
  if (read.stale) c.header('X-Consistency', 'stale');
}

/**
 * The JSON answer with its cache headers: a short max-age, an ETag from the watermark (plus the
 * variant: what else picked the answer), and 304 for a matching If-None-Match. A stale read after
 * a consistency wait must not be cached.
 */
export function jsonAnswer(c: Context, read: ConsistentRead<unknown>, body: unknown, variant: string): Response {
  const etag = watermarkEtag(read.served.state.watermark, variant);
  c.header('ETag', etag);
  c.header('Cache-Control', read.stale ? 'no-store' : 'public, max-age=1');
  if (!read.stale && etagMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304);
  return c.body(JSON.stringify(body), 200, { 'Content-Type': 'application/json; charset=UTF-8' });
}

export function boardNotFound(board: string): HttpError {
  return new HttpError(404, 'board_not_found', `no board named ${board}`, [
    { path: 'board', message: 'unknown board' },
  ]);
}

export function periodNotKept(board: string, period: string): HttpError {
  return invalidRequest(
    [{ path: 'period', message: `board ${board} does not keep ${period} rankings` }],
    `board ${board} does not keep ${period} rankings`,
  );
}
