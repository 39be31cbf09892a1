import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expandPath, hasWrk, runWrkLoad, wrkScript } from './wrk-load.js';

describe('load paths', () => {
  it('draw a zero-padded player number for {n} and leave other paths alone', () => {
    const path = { template: '/v1/boards/b/users/player-{n}/around?radius=5', randomUpTo: 1_000_000 };
    expect(expandPath(path, () => 0)).toBe('/v1/boards/b/users/player-0000000/around?radius=5');
    expect(expandPath(path, () => 0.4999999)).toBe('/v1/boards/b/users/player-0499999/around?radius=5');
    expect(expandPath(path, () => 0.9999999)).toBe('/v1/boards/b/users/player-0999999/around?radius=5');
    expect(expandPath({ template: '/v1/boards/b/top?limit=10' }, () => 0.5)).toBe('/v1/boards/b/top?limit=10');
    expect(expandPath({ template: '/u/player-{n}', randomUpTo: 100, digits: 0 }, () => 0.05)).toBe('/u/player-5');
    const draws = [0.1, 0.2];
    expect(expandPath({ template: '/r?u={n},{n}', randomUpTo: 10 }, () => draws.shift()!)).toBe('/r?u=0000001,0000002');
  });

  it('become a wrk script that draws the same range and quotes the path', () => {
    const script = wrkScript({ template: "/x/player-{n}?q='a'", randomUpTo: 50 });
    expect(script).toContain("'/x/player-' .. string.format('%07d', math.random(0, 49)) .. '?q=\\'a\\''");
    expect(wrkScript({ template: '/top' })).toContain("wrk.path = '/top'");
    expect(wrkScript({ template: '/u/{n}', randomUpTo: 5, digits: 0 })).toContain(
      "string.format('%d', math.random(0, 4))",
    );
    const draw = "string.format('%07d', math.random(0, 9))";
    expect(wrkScript({ template: '/r?u={n},{n}', randomUpTo: 10 })).toContain(
      `'/r?u=' .. ${draw} .. ',' .. ${draw} .. ''`,
    );
  });
});

describe.skipIf(!hasWrk())('wrk load', () => {
  it('sends random paths in range and reports what the server answered', async () => {
    const seen = new Set<string>();
    let failures = 0;
    const server = http.createServer((req, res) => {
      seen.add(req.url ?? '');
      const fail = req.url?.endsWith('0000003');
      if (fail) failures += 1;
      res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await runWrkLoad({
        baseUrl: `http://127.0.0.1:${port}`,
        path: { template: '/u/{n}', randomUpTo: 5 },
        connections: 2,
        seconds: 1,
      });
      expect([...seen].sort()).toEqual(['/u/0000000', '/u/0000001', '/u/0000002', '/u/0000003', '/u/0000004']);
      // Answers still in flight when wrk stops (at most one per connection) are not counted by it.
      expect(result.errors).toBeLessThanOrEqual(failures);
      expect(result.errors).toBeGreaterThanOrEqual(failures - 2);
      expect(result.requests).toBeGreaterThanOrEqual(seen.size);
      expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
    } finally {
      server.close();
    }
  });
});
