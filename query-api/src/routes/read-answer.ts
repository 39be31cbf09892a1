import {
  type ConsistencyRequirement,
  decodeConsistencyToken,
  type ErrorDetail,
  HttpError,
  invalidRequest,
  mergeConsistencyRequirements,
} from '@rankstream/schemas';
import { requestHeader } from '@rankstream/schemas/runtime';
import type { Context } from 'hono';
import type { AppDeps } from '../deps.js';
import { etagMatches, watermarkEtag } from '../domain/etag.js';
import { coversRequirements, projectionLagMs } from '../domain/projection-lag.js';
import type { RankingReader, StoreRead } from '../domain/read-model.js';
import type { Served } from '../readers/fallback.js';
import { queryValuesOf } from './documented-get.js';

/**
 * The consistency tokens of a request: every `after` query value and the X-Consistency-Token
 * header (comma-separated allowed), merged to the highest offset per partition.
 */
export function consistencyRequirements(c: Context, topic: string): ConsistencyRequirement[] {
  const fromQuery = queryValuesOf(c, 'after').map((t) => ({ t, path: 'after' }));
  const header = requestHeader(c, 'x-consistency-token');
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
    // A push of the projection's next state wakes the wait at once; PostgreSQL is polled.
    const wait = Math.min(deps.config.CONSISTENCY_POLL_MS, left);
    await (deps.states ? deps.states.nextChange(wait) : deps.sleep(wait));
    served = await deps.reader.read(op);
  }
}

/**
 * The headers every /v1 answer carries once a store has been read, added to `into`. `Vary` extends
 * what is there (the CORS middleware's `Origin`).
 */
function addStoreHeaders(into: Record<string, string>, deps: AppDeps, read: ConsistentRead<unknown>): void {
  into['X-Served-By'] = read.served.servedBy;
  into['X-Projection-Lag-Ms'] = String(projectionLagMs(read.served.state, deps.now()));
  into.Vary = into.Vary ? `${into.Vary}, X-Consistency-Token` : 'X-Consistency-Token';
  if (read.stale) into['X-Consistency'] = 'stale';
}

/** The store headers on an answer Hono builds (errors found in the data, the user route's 404). */
export function setStoreHeaders(c: Context, deps: AppDeps, read: ConsistentRead<unknown>): void {
  c.set('servedBy', read.served.servedBy);
  const headers: Record<string, string> = {};
  addStoreHeaders(headers, deps, read);
  for (const [name, value] of Object.entries(headers)) c.header(name, value, { append: name === 'Vary' });
}

export interface AnswerText {
  etag: string;
  body: string;
}

/**
 * ETags per watermark object: the state kept in memory hands every read the same object until it
 * moves, so the hash is computed once per state and variant, not once per request.
 */
const etags = new WeakMap<object, Map<string, string>>();

/** The ETag of a watermark and variant (what else picked the answer), computed once per pair. */
function etagFor(watermark: Record<number, number>, variant: string): string {
  let byVariant = etags.get(watermark);
  if (!byVariant) {
    byVariant = new Map();
    etags.set(watermark, byVariant);
  }
  let etag = byVariant.get(variant);
  if (etag === undefined) {
    etag = watermarkEtag(watermark, variant);
    if (byVariant.size < 64) byVariant.set(variant, etag);
  }
  return etag;
}

/** The body and its ETag. */
export function answerText(read: ConsistentRead<unknown>, body: unknown, variant: string): AnswerText {
  return { etag: etagFor(read.served.state.watermark, variant), body: JSON.stringify(body) };
}

/**
 * The JSON answer with the store's headers and its cache headers: a short max-age, the ETag, and 304
 * for a matching If-None-Match (a stale read after a consistency wait is never cached). One plain
 * header record in a Response built here.
 * Hono's c.header() keeps a WHATWG Headers object, whose per-header validation was ~7 % of a rank
 * request; @hono/node-server writes a plain record straight out. The CORS headers the middleware
 * prepared are merged in (Hono leaves prepared headers out of a Response a handler builds).
 */
export function storeAnswer(c: Context, deps: AppDeps, read: ConsistentRead<unknown>, answer: AnswerText): Response {
  c.set('servedBy', read.served.servedBy);
  c.set('corsApplied', true);
  const headers: Record<string, string> = Object.assign({}, c.get('corsHeaders'));
  addStoreHeaders(headers, deps, read);
  headers.ETag = answer.etag;
  headers['Cache-Control'] = read.stale ? 'no-store' : 'public, max-age=1';
  if (!read.stale && etagMatches(requestHeader(c, 'if-none-match'), answer.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers['Content-Type'] = 'application/json; charset=UTF-8';
  return new Response(answer.body, { status: 200, headers });
}

export function jsonAnswer(
  c: Context,
  deps: AppDeps,
  read: ConsistentRead<unknown>,
  body: unknown,
  variant: string,
): Response {
  return storeAnswer(c, deps, read, answerText(read, body, variant));
}

/**
 * The answer kept for `key` at the state version in memory, if Redis would serve this read and
 * that state covers the request's tokens: the same bytes and ETag a read of Redis would give.
 */
export function cachedAnswer(
  c: Context,
  deps: AppDeps,
  key: string,
  variant: string,
  requirements: readonly ConsistencyRequirement[],
): Response | undefined {
  const snapshot = deps.states?.snapshot();
  if (!deps.answerCache || !snapshot || deps.reader.prefersRedis?.() !== true) return undefined;
  if (requirements.length > 0 && !coversRequirements(snapshot.state.watermark, requirements)) return undefined;
  const hit = deps.answerCache.get(key);
  // The ETag too: a version that came back (Redis restored from a snapshot, a writer that does not
  // bump it) must not pass off a page of another watermark as this one.
  if (hit?.version !== snapshot.version || hit.etag !== etagFor(snapshot.state.watermark, variant)) {
    deps.metrics.answerCache.inc({ outcome: 'miss' });
    return undefined;
  }
  deps.metrics.answerCache.inc({ outcome: 'hit' });
  return storeAnswer(c, deps, { served: { value: null, state: snapshot.state, servedBy: 'redis' }, stale: false }, hit);
}

/** Keeps a fresh Redis answer for `key` until the state version moves. */
export function rememberAnswer(deps: AppDeps, key: string, read: ConsistentRead<unknown>, answer: AnswerText): void {
  const version = read.served.state.version;
  if (!deps.answerCache || read.stale || read.served.servedBy !== 'redis' || !version) return;
  deps.answerCache.set(key, { version, etag: answer.etag, body: answer.body });
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
