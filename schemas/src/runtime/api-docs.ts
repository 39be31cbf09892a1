import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';

const require = createRequire(import.meta.url);
const ASSETS_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const VERSION: string = require('swagger-ui-dist/package.json').version;
const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'init.js': 'text/javascript; charset=utf-8',
} as const;

/** In a file of its own so that a Content-Security-Policy without inline scripts allows the page. */
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

function page(title: string, base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`;
}

/**
 * GET /docs: Swagger UI over the app's /openapi.json, its assets served from the installed
 * swagger-ui-dist (not a CDN: the page works without internet access, and no third-party script is
 * loaded unpinned). Asset paths carry the package's version, so browsers may keep them for good.
 */
export function mountApiDocs(app: Hono<any>, title: string): void {
  // The initializer is ours: its hash joins the package's version, so a change to it reaches browsers.
  const base = `/docs/assets/${VERSION}-${createHash('sha256').update(INIT).digest('hex').slice(0, 8)}`;
  const html = page(title, base);
  const cache = new Map<string, string>();
  app.get('/docs', (c) => c.html(html));
  app.get(`${base}/:file`, (c) => {
    const file = c.req.param('file');
    if (!Object.hasOwn(ASSETS, file)) return c.notFound();
    let body = cache.get(file);
    if (body === undefined) {
      body = file === 'init.js' ? INIT : readFileSync(join(ASSETS_DIR, file), 'utf8');
      cache.set(file, body);
    }
    c.header('Content-Type', ASSETS[file as keyof typeof ASSETS]);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(body);
  });
}
