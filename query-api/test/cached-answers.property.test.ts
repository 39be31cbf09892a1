import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { get } from './fixtures/http.js';
import { type CachedApp, createQueryWorld, type QueryWorld } from './fixtures/query-world.js';

/**
 * For random runs of writes and page reads, a top page served by the app with the answer cache is
 * byte-identical (body and ETag) to the page the uncached Redis reader computes at the same state
 * version, whether the page came from memory or from Redis.
 */
const T = 1_763_000_000_000;
const USERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

const stepArb = fc.record({
  write: fc.option(
    fc.record({
      userId: fc.constantFrom(...USERS),
      score: fc.integer({ min: -3, max: 3 }),
      username: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  page: fc.oneof(
    fc.record({ offset: fc.integer({ min: 0, max: 8 }), limit: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ limit: fc.integer({ min: 1, max: 4 }), cursorAfter: fc.integer({ min: 0, max: 3 }) }),
  ),
});

let w: QueryWorld;
let cached: CachedApp;
let offset = 1;
beforeAll(async () => {
  w = await createQueryWorld('cached_answers');
  cached = await w.cachedApp({ QUERY_STATE_POLL_MS: '60000' });
});
afterAll(async () => w?.close());

async function settled(version: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (cached.states.snapshot()?.version !== version) {
    if (Date.now() > deadline) throw new Error(`the push of version ${version} did not arrive`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function same(path: string) {
  const fresh = await get(w.redisApp, path);
  for (let i = 0; i < 2; i++) {
    const answer = await get(cached.app, path);
    expect(answer.status, path).toBe(fresh.status);
    expect(answer.text, path).toBe(fresh.text);
    expect(answer.headers.get('etag'), path).toBe(fresh.headers.get('etag'));
  }
  return fresh;
}

it('serves cached pages byte-identical to pages read afresh at the same state version', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
      fc.array(stepArb, { minLength: 1, maxLength: 8 }),
      async (order, steps) => {
        await w.writer.writeState({ boards: [{ board: 'b', order }], totals: [], watermark: { 0: offset } });
        await settled(await w.writer.bumpVersion());
        for (const step of steps) {
          if (step.write) {
            offset++;
            const { userId, score, username } = step.write;
            await w.writer.totals([{ board: 'b', periodKey: 'all', userId, score, reachedAt: T + offset }]);
            if (username) await w.writer.profile({ userId, username });
            await w.writer.watermark({ 0: offset }, { store: 'redis' });
            await settled(await w.writer.bumpVersion());
          }
          if ('offset' in step.page) {
            await same(`/v1/boards/b/top?limit=${step.page.limit}&offset=${step.page.offset}`);
          } else {
            let page = await same(`/v1/boards/b/top?limit=${step.page.limit}`);
            for (let i = 0; i < step.page.cursorAfter && page.body.nextCursor; i++) {
              page = await same(`/v1/boards/b/top?limit=${step.page.limit}&cursor=${page.body.nextCursor}`);
            }
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});
