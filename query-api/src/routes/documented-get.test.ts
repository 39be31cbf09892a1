import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { createLogger, installErrorHandling } from '@rankstream/schemas/runtime';
import { describe, expect, it } from 'vitest';
import { documentedGet, queryValuesOf } from './documented-get.js';

/** A route whose query schema counts its parses, answering what the handler was given. */
function countingApp() {
  let parses = 0;
  const app = new OpenAPIHono();
  installErrorHandling(app, createLogger('test', 'silent'));
  const query = z.object({
    limit: z
      .string()
      .regex(/^\d+$/)
      .transform((v) => {
        parses++;
        return Number(v);
      })
      .optional(),
    tag: z.union([z.string(), z.array(z.string())]).optional(),
  });
  documentedGet(
    app,
    createRoute({ method: 'get', path: '/items', request: { query }, responses: { 200: { description: 'ok' } } }),
    async (c, input) =>
      c.json({ query: input.query, tags: queryValuesOf(c, 'tag'), frozen: Object.isFrozen(input.query) }),
  );
  return { app, parses: () => parses };
}

describe('documentedGet', () => {
  it('parses a repeated query string once and gives every request the same values', async () => {
    const { app, parses } = countingApp();
    const first = await app.request('/items?limit=10&tag=a&tag=b');
    const second = await app.request('/items?limit=10&tag=a&tag=b');
    expect(await first.json()).toEqual({ query: { limit: 10, tag: ['a', 'b'] }, tags: ['a', 'b'], frozen: true });
    expect(await second.json()).toEqual({ query: { limit: 10, tag: ['a', 'b'] }, tags: ['a', 'b'], frozen: true });
    expect(parses()).toBe(1);
  });

  it('parses each distinct query string on its own', async () => {
    const { app, parses } = countingApp();
    expect(await (await app.request('/items?limit=10')).json()).toMatchObject({ query: { limit: 10 } });
    expect(await (await app.request('/items?limit=20')).json()).toMatchObject({ query: { limit: 20 } });
    expect(await (await app.request('/items')).json()).toMatchObject({ query: {}, tags: [] });
    expect(parses()).toBe(2);
  });

  it('parses a long query string every time, leaving its values unshared', async () => {
    const { app, parses } = countingApp();
    const long = `/items?limit=5&tag=${'x'.repeat(130)}`;
    for (let i = 0; i < 2; i++) {
      expect(await (await app.request(long)).json()).toMatchObject({ query: { limit: 5 }, frozen: false });
    }
    expect(parses()).toBe(2);
  });

  it('keeps no parse for a URL with a fragment, whose query Hono does not read', async () => {
    const { app } = countingApp();
    expect(await (await app.request('/items#?limit=1000&tag=x')).json()).toMatchObject({ query: {}, tags: [] });
    const res = await app.request('/items?limit=1000&tag=x');
    expect(await res.json()).toMatchObject({ query: { limit: 1000, tag: 'x' }, tags: ['x'] });
  });

  it('refuses an invalid query every time, naming the field', async () => {
    const { app } = countingApp();
    for (let i = 0; i < 2; i++) {
      const res = await app.request('/items?limit=ten');
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.details.map((d) => d.path)).toEqual(['limit']);
    }
  });

  it('keeps answering right after more distinct queries than it remembers', async () => {
    const { app } = countingApp();
    for (let i = 0; i < 300; i++) await app.request(`/items?limit=${i}`);
    expect(await (await app.request('/items?limit=7')).json()).toMatchObject({ query: { limit: 7 } });
    expect(await (await app.request('/items?limit=299')).json()).toMatchObject({ query: { limit: 299 } });
  });
});
