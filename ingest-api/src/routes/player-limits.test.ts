import { describe, expect, it } from 'vitest';
import { auth, fakeDeps, KEYS } from '../../test/fake-deps.js';
import { createApp } from '../app.js';

async function json(res: Response): Promise<any> {
  return res.json();
}

function world() {
  const fake = fakeDeps();
  const app = createApp(fake.deps);
  const send = (method: string, path: string, body: unknown, key: string = KEYS.both) =>
    app.request(path, {
      method,
      headers: { ...auth(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { ...fake, send };
}

describe('per-player limits', () => {
  it('stamps the board limits on its events, refuses a too large add naming the value, publishing nothing', async () => {
    const { send, publisher } = world();
    const board = await send('PUT', '/v1/boards/arena', { maxEventsPerMinute: 3, maxDelta: 100 }, KEYS.admin);
    expect(await json(board)).toMatchObject({ maxEventsPerMinute: 3, maxDelta: 100 });
    const tooLarge = await send('POST', '/v1/events', {
      events: [
        { userId: 'u', board: 'arena', value: 100 },
        { userId: 'u', board: 'arena', value: -101 },
      ],
    });
    expect(tooLarge.status).toBe(400);
    expect((await json(tooLarge)).error.details).toEqual([
      { path: 'events.1.value', message: 'board arena allows a change of at most 100' },
    ]);
    // a set's change depends on the stored total: the projector checks it
    expect((await send('POST', '/v1/events', { userId: 'u', board: 'arena', op: 'set', value: 5_000 })).status).toBe(
      202,
    );
    expect(publisher.published).toEqual([
      expect.objectContaining({ event: expect.objectContaining({ limits: { maxEventsPerMinute: 3, maxDelta: 100 } }) }),
    ]);
  });

  it('answers 429 with Retry-After naming the player past maxEventsPerMinute, and lifts limits set to null', async () => {
    const { send, clock } = world();
    await send('PUT', '/v1/boards/arena', { maxEventsPerMinute: 2 }, KEYS.admin);
    const post = (userIds: string[]) =>
      send('POST', '/v1/events', { events: userIds.map((userId) => ({ userId, board: 'arena', value: 1 })) });
    expect((await post(['u', 'v'])).status).toBe(202);
    clock.now = Date.UTC(2026, 10, 23, 12, 0, 45);
    const refused = await post(['v', 'u', 'u']);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('15');
    const { error } = await json(refused);
    expect([error.code, error.details.map((d: { path: string }) => d.path)]).toEqual([
      'player_rate_limited',
      ['events.2.userId'],
    ]);
    expect((await post(['u'])).status).toBe(202);
    await send('PUT', '/v1/boards/arena', { maxEventsPerMinute: null }, KEYS.admin);
    expect((await post(['u', 'u', 'u'])).status).toBe(202);
  });
});
