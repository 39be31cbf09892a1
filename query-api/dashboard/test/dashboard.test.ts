import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createTestEnv, freePort, type ServiceProcess, startService, type TestEnv } from '@rankstream/tools/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../../test/fixtures/tcp-proxy.js';

/**
 * The dashboard in a real browser (the operating system's Chromium, headless) against the real
 * stack: projector, ingest API and query API processes over Kafka, the registry, PostgreSQL and
 * Redis. The query API reaches Redis through a proxy the test can cut. Screenshots of each page, at
 * desktop and phone widths, go to test-artifacts/dashboard/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/dashboard/', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));
const ADMIN_KEY = 'dashboard-test-admin-key';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let env: TestEnv;
let proxy: TcpProxy;
let projector: ServiceProcess;
let ingest: ServiceProcess;
let query: ServiceProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors and page errors of the current test, with the refusals a test expects removed. */
let consoleErrors: string[] = [];
let expectedRefusals: RegExp[] = [];

async function post(path: string, body: unknown, method = 'POST') {
  const res = await fetch(`${ingest.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<any>;
}

async function queryJson(path: string) {
  return (await (await fetch(`${query.url}${path}`)).json()) as any;
}

async function untilVisible(token: string) {
  await queryJson(`/v1/boards/arena/top?after=${encodeURIComponent(token)}`);
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's WCAG 2 A/AA checks (labels, contrast, roles, names) on the page as shown: no serious findings. */
async function expectAccessible() {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: object): Promise<any> } }).axe;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
  });
  expect(found).toEqual([]);
}

async function shoot(name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [size, viewport] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${ARTIFACTS}${name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium package (or set CHROMIUM_PATH)`);
  }
  env = await createTestEnv({ name: 'dashboard', partitions: 3 });
  const redis = new URL(env.redisUrl);
  proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
  await proxy.start();
  const services = { ...env.env, API_KEYS: `ops:${sha256(ADMIN_KEY)}:ingest+admin` };
  projector = await startService(
    'score-projector',
    { ...services, PROJECTOR_GROUP_ID: `dash-${env.id}` },
    {
      port: await freePort(),
    },
  );
  ingest = await startService('ingest-api', services, { port: await freePort() });
  query = await startService(
    'query-api',
    {
      ...services,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      DASHBOARD_INGEST_URL: ingest.url,
      // Quick to notice Redis gone and back, as the store indicator test needs.
      REDIS_BREAKER_RESET_MS: '1000',
    },
    { port: await freePort() },
  );

  await post('/v1/boards/arena', { order: 'desc', defaultOp: 'set', periods: ['daily'] }, 'PUT');
  await post('/v1/users', { userId: 'p-3', username: 'Third Player', region: 'eu' });
  const seeded = await post('/v1/events', {
    events: Array.from({ length: 15 }, (_, i) => ({
      userId: `p-${i}`,
      board: 'arena',
      value: 100 * (i + 1),
      // a run's details on some entries: the board page shows them
      ...(i % 2 === 0 ? { metadata: { car: `car-${i}`, laps: [31, 30 + i] } } : {}),
    })),
  });
  await untilVisible(seeded.consistencyToken);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([query?.stop(), ingest?.stop(), projector?.stop()]);
  await proxy?.cut();
  await env?.cleanup();
});

async function openPage(hash: string) {
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  consoleErrors = [];
  expectedRefusals = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${query.url}/${hash}`);
}

afterEach(async () => {
  const unexpected = consoleErrors.filter((e) => !expectedRefusals.some((r) => r.test(e)));
  await context?.close();
  expect(unexpected).toEqual([]);
});

/** The rows of a ranked table as [rank, userId, score]. */
async function rows(testId: string) {
  return page.$$eval(`[data-testid="${testId}"] tbody tr`, (trs) =>
    trs.map((tr) => [
      Number(tr.querySelector('td')?.textContent?.replace(/,/g, '')),
      tr.getAttribute('data-user'),
      Number(tr.querySelector('[data-score]')?.getAttribute('data-score')),
    ]),
  );
}

describe('the dashboard in a browser', () => {
  it('lists the boards and shows the same top 10 as GET /v1/boards/:board/top', async () => {
    await openPage('#/');
    await page.getByRole('link', { name: 'arena' }).waitFor();
    await expectAccessible();
    await shoot('boards');
    await page.getByRole('link', { name: 'arena' }).click();
    await page.waitForSelector('[data-testid="top"] tbody tr:nth-child(10)');
    const api = await queryJson('/v1/boards/arena/top?limit=10&details=true');
    expect(await rows('top')).toEqual(api.entries.map((e: any) => [e.rank, e.userId, e.score]));
    // each entry's details, as the API answers them with details=true
    const details = await page.$$eval('[data-testid="top"] tbody td.details', (tds) => tds.map((td) => td.textContent));
    expect(details).toEqual(api.entries.map((e: any) => (e.details === null ? '—' : JSON.stringify(e.details))));
    expect(details.filter((d) => d !== '—').length).toBeGreaterThan(3);
    await page
      .getByTestId('store')
      .locator('strong', { hasText: /^Redis$/ })
      .waitFor();
    await shoot('board');
  });

  it('can be used with the keyboard alone', async () => {
    await openPage('#/');
    await page.getByRole('link', { name: 'arena' }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to the content');
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 6 && seen.at(-1) !== 'Pipeline'; i++) {
      await page.keyboard.press('Tab');
      seen.push(await focused());
    }
    expect(seen).toEqual(['Rankstream', 'Boards', 'Player', 'Pipeline']);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Pipeline' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/pipeline');
  });

  it('shows an event posted through the ingest API within 2 seconds, without a reload', async () => {
    await openPage('#/board/arena');
    await page.waitForSelector('[data-testid="top"] tbody tr:nth-child(10)');
    const accepted = await post('/v1/events', { userId: 'newcomer', board: 'arena', value: 99_999 });
    expect(accepted.accepted).toBe(1);
    await page.waitForSelector('[data-testid="top"] tbody tr:first-child[data-user="newcomer"]', { timeout: 2_000 });
    // the row that moved is highlighted
    expect(await page.getAttribute('[data-testid="top"] tr[data-user="newcomer"]', 'class')).toContain('moved');
  });

  it("shows a player's profile and standings as GET /v1/users/:id answers them, and who is around them", async () => {
    await openPage('#/player');
    await page.getByLabel('Player id').fill('p-3');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForSelector('[data-testid="standings"] tbody tr');
    await page.waitForSelector('[data-testid="around"] tbody tr');
    const api = await queryJson('/v1/users/p-3');
    expect(await page.getByTestId('profile').textContent()).toContain('Third Player');
    const standings = await page.$$eval('[data-testid="standings"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent?.trim())),
    );
    expect(standings).toEqual(
      api.boards.map((b: any) => [
        b.board,
        b.period === 'all' ? 'all-time' : `${b.period} ${b.periodKey.replace(`${b.period}:`, '')}`,
        `${b.rank.toLocaleString('en-US')} of ${b.total.toLocaleString('en-US')}`,
        b.score.toLocaleString('en-US'),
        ((100 * (b.total - b.rank + 1)) / b.total).toFixed(2),
      ]),
    );
    const around = await queryJson('/v1/boards/arena/users/p-3/around?radius=5');
    expect(await rows('around')).toEqual(around.entries.map((e: any) => [e.rank, e.userId, e.score]));
    await expectAccessible();
    await shoot('player');
  });

  it('turns the store indicator to PostgreSQL when Redis goes away, and the board keeps its rows', async () => {
    await openPage('#/board/arena');
    await page.waitForSelector('[data-testid="top"] tbody tr:nth-child(10)');
    const before = await rows('top');
    await proxy.cut();
    try {
      await page
        .getByTestId('store')
        .locator('strong', { hasText: /^PostgreSQL$/ })
        .waitFor({ timeout: 15_000 });
      expect(await rows('top')).toEqual(before);
      // and a change while Redis is away still reaches the page, now read from PostgreSQL
      await post('/v1/events', { userId: 'p-5', board: 'arena', value: 50_000 });
      await page.waitForSelector('[data-testid="top"] tbody tr:nth-child(2)[data-user="p-5"]', { timeout: 5_000 });
      const fromPostgres = await fetch(`${query.url}/v1/boards/arena/top?limit=10`);
      expect(fromPostgres.headers.get('x-served-by')).toBe('postgres');
      const api = (await fromPostgres.json()) as any;
      expect(await rows('top')).toEqual(api.entries.map((e: any) => [e.rank, e.userId, e.score]));
      await page.goto(`${query.url}/#/pipeline`);
      await page
        .getByTestId('pipeline')
        .getByText(/^PostgreSQL: Redis/)
        .waitFor({ timeout: 5_000 });
      await shoot('pipeline-redis-away');
    } finally {
      await proxy.restore();
    }
    await page
      .getByTestId('store')
      .locator('strong', { hasText: /^Redis$/ })
      .waitFor({ timeout: 20_000 });
  });

  it('charts the pipeline from both APIs', async () => {
    await openPage('#/pipeline');
    const cards = page.getByTestId('pipeline');
    await cards.getByText('Redis', { exact: true }).waitFor();
    // two polls of the ingest API make a rate
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="pipeline"]')?.textContent?.includes('Events in the log—'),
    );
    const logEnd = (await (await fetch(`${ingest.url}/v1/status`)).json()) as any;
    expect(await cards.textContent()).toContain(`Events in the log${logEnd.eventsInLog.toLocaleString('en-US')}`);
    expect(await page.locator('.chart canvas').count()).toBe(3);
    await expectAccessible();
    await shoot('pipeline');
  });

  it('creates a board with an admin key, and is read-only without one', async () => {
    await openPage('#/admin');
    // without a key: every form is disabled and says why
    expect(await page.getByTestId('mode').textContent()).toContain('Read-only');
    expect(await page.getByRole('button', { name: 'Save the board' }).isDisabled()).toBe(true);
    await expectAccessible();
    await shoot('admin');

    // a wrong key: the ingest API refuses, the page says so, and nothing is created
    expectedRefusals = [/status of 401/];
    await page.getByLabel('Ingest API key').fill('not-a-key');
    await page.getByLabel('Board id').fill('from-browser');
    await page.getByRole('button', { name: 'Save the board' }).click();
    await page.getByTestId('outcome').getByText('not valid').waitFor();
    const missing = await fetch(`${ingest.url}/v1/boards/from-browser`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(missing.status).toBe(404);

    // the admin key: created as asked
    await page.getByLabel('Ingest API key').fill(ADMIN_KEY);
    await page.getByLabel('Order').selectOption('asc');
    await page.getByLabel('weekly').check();
    await page.getByLabel('Time zone of the periods').fill('America/New_York');
    await page.getByLabel('Weeks start on').selectOption('sunday');
    await page.getByRole('button', { name: 'Save the board' }).click();
    await page.getByTestId('outcome').getByText('saved').waitFor();
    const created = await fetch(`${ingest.url}/v1/boards/from-browser`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(await created.json()).toMatchObject({
      board: 'from-browser',
      order: 'asc',
      periods: ['weekly'],
      timeZone: 'America/New_York',
      weekStartsOn: 'sunday',
    });
    // the key lives in this tab's session storage only
    expect(await page.evaluate(() => sessionStorage.getItem('rankstream.ingestKey'))).toBe(ADMIN_KEY);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    // and the boards page says when its periods reset
    await openPage('#/');
    await page.getByRole('link', { name: 'from-browser' }).waitFor();
    const resets = await page.$$eval('tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th')?.textContent?.trim(), tr.children[3]?.textContent?.trim()]),
    );
    expect(resets).toContainEqual(['from-browser', 'America/New_York, weeks from Sunday']);
    expect(resets).toContainEqual(['arena', 'UTC, weeks from Monday']);
  });
});

describe('moderation from the admin page', () => {
  it('removes, bans and erases a player with an admin key, and shows the audit', async () => {
    // given a player on the board
    const post = (value: number) =>
      fetch(`${ingest.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'cheater', board: 'global', value }),
      });
    expect((await post(9_999)).status).toBe(202);
    const standing = () => fetch(`${query.url}/v1/boards/global/users/cheater`).then((r) => r.status);
    await expect.poll(standing, { timeout: 10_000 }).toBe(200);

    await openPage('#/admin');
    await page.getByLabel('Ingest API key').fill(ADMIN_KEY);
    await page.getByLabel('Player to moderate').fill('cheater');
    await page.getByLabel('Reason').fill('speedhack');

    // when removed from the board, the player leaves it
    await page.getByRole('button', { name: 'Remove from the board' }).click();
    await page.getByTestId('outcome').getByText('removed from the board').waitFor();
    await expect.poll(standing, { timeout: 10_000 }).toBe(404);

    // when banned, the ingest API refuses the player's events
    await page.getByRole('button', { name: 'Ban', exact: true }).click();
    await page.getByTestId('outcome').getByText('banned').waitFor();
    expect((await post(1)).status).toBe(403);

    // erasing waits for the box saying it cannot be undone
    const erase = page.getByRole('button', { name: 'Erase the player' });
    expect(await erase.isDisabled()).toBe(true);
    await page.getByLabel('Erasing cannot be undone', { exact: false }).check();
    await erase.click();
    await page.getByTestId('outcome').getByText('erased for good').waitFor();

    // the audit lists the three actions once the projector applied them, with the key's name
    const rows = async () => {
      await page.getByRole('button', { name: 'Show recent actions' }).click();
      await page.getByTestId('audit').waitFor();
      return page.getByTestId('audit').locator('tbody tr').allTextContents();
    };
    await expect
      .poll(async () => (await rows()).filter((r) => r.includes('cheater')).length, { timeout: 10_000 })
      .toBe(3);
    expect((await rows()).filter((r) => r.includes('cheater')).join('\n')).toMatch(/erase.*cheater.*ops/);
    await expectAccessible();
  });
});

describe('the dashboard build', () => {
  it('ships under 200 KB of JavaScript gzipped, served with ETags', async () => {
    const js = readdirSync(`${BUILT}assets`).filter((f) => f.endsWith('.js'));
    const gzipped = js.reduce((n, f) => n + gzipSync(readFileSync(`${BUILT}assets/${f}`)).length, 0);
    expect(js.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThan(200 * 1024);
    const index = await fetch(`${query.url}/`);
    const etag = index.headers.get('etag') ?? '';
    expect([index.status, index.headers.get('cache-control')]).toEqual([200, 'no-cache']);
    expect((await fetch(`${query.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    const bundle = await fetch(`${query.url}${asset}`);
    expect([bundle.status, bundle.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
  });
});
