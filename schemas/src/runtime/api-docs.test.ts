import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { mountApiDocs } from './api-docs.js';

describe('the /docs page', () => {
  const app = new Hono();
  mountApiDocs(app, 'Test API');

  it('loads Swagger UI from this server only, never from a third party', async () => {
    const res = await app.request('/docs');
    const html = await res.text();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<title>Test API</title>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets).toHaveLength(3);
    for (const path of assets) {
      const asset = await app.request(path);
      expect({ path, status: asset.status }).toEqual({ path, status: 200 });
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await asset.text()).length).toBeGreaterThan(path.endsWith('init.js') ? 50 : 10_000);
    }
  });

  it('serves nothing else from the assets folder', async () => {
    const html = await (await app.request('/docs')).text();
    const base = /href="([^"]+)\/swagger-ui\.css"/.exec(html)?.[1];
    expect((await app.request(`${base}/package.json`)).status).toBe(404);
    expect((await app.request(`${base}/..%2Fpackage.json`)).status).toBe(404);
  });
});
