import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { errorBody } from '@rankstream/schemas';
import { Hono } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  type: string;
  etag: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const body = readFileSync(path);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        const type = TYPES[extname(path)] ?? 'application/octet-stream';
        assets.set(`/${relative(dir, path)}`, { body, gzipped: gzipSync(body), type, etag });
      }
    }
  };
  walk(dir);
  return assets;
}

/** If-None-Match: `*`, or a list of tags compared weakly (RFC 9110, 13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * The dashboard (query-api/dashboard, built by `npm run build` into dist/dashboard) at `/`: files
 * held in memory with their gzip and a content hash as ETag. index.html is revalidated on every
 * load; the hashed bundles under /assets/ never change, so browsers keep them for good.
 */
export function dashboardRoutes(dir: string | undefined, config: { ingestUrl: string | null }) {
  const r = new Hono();
  const assets = dir && existsSync(join(dir, 'index.html')) ? loadAssets(dir) : new Map<string, Asset>();
  const send = (path: string, cacheControl: string) =>
    r.get(path === '/index.html' ? '/' : path, (c) => {
      const asset = assets.get(path);
      if (!asset) return c.json(errorBody('not_built', 'the dashboard is not built (npm run build)'), 404);
      // Each encoding is its own representation, so it has its own strong ETag.
      const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
      const etag = gzip ? `${asset.etag.slice(0, -1)}-gz"` : asset.etag;
      c.header('ETag', etag);
      c.header('Cache-Control', cacheControl);
      c.header('Vary', 'Accept-Encoding');
      if (matches(c.req.header('if-none-match'), etag)) return c.body(null, 304);
      c.header('Content-Type', asset.type);
      if (gzip) c.header('Content-Encoding', 'gzip');
      return c.body(new Uint8Array(gzip ? asset.gzipped : asset.body));
    });
  send('/index.html', 'no-cache');
  for (const path of assets.keys()) if (path.startsWith('/assets/')) send(path, 'public, max-age=31536000, immutable');
  r.get('/dashboard/config.json', (c) => c.json(config));
  return r;
}
