import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadResult } from './http-load.js';

const run = promisify(execFile);

/**
 * A path to load: each `{n}` stands for a random integer in [0, randomUpTo), zero-padded to `digits`
 * (default 7, the query bench's userIds; 0 for none), drawn afresh for every occurrence in every request.
 */
export interface LoadPath {
  template: string;
  randomUpTo?: number;
  digits?: number;
}

export function expandPath(path: LoadPath, random: () => number = Math.random): string {
  return path.template.replaceAll('{n}', () =>
    String(Math.floor(random() * (path.randomUpTo ?? 1))).padStart(path.digits ?? 7, '0'),
  );
}

/** wrk's Lua script for one path: random paths per request, and a JSON summary printed by `done`. */
export function wrkScript(path: LoadPath): string {
  const parts = path.template.split('{n}');
  const digits = path.digits ?? 7;
  const draw = `string.format('${digits > 0 ? `%0${digits}d` : '%d'}', math.random(0, ${(path.randomUpTo ?? 1) - 1}))`;
  const request =
    parts.length > 1
      ? `request = function()
  return wrk.format('GET', ${parts.map(luaString).join(` .. ${draw} .. `)})
end`
      : `wrk.path = ${luaString(path.template)}`;
  return `${request}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
`;
}

function luaString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Whether a `wrk` binary is on the PATH. */
export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * wrk (C, epoll) costs a fraction of the CPU of a Node load generator, which matters when the load
 * generator shares two cores with the service it measures. Installed from Debian's packages when
 * missing and this is root; otherwise the bench falls back to the Node load generator.
 */
export function ensureWrk(log: (line: string) => void): boolean {
  if (hasWrk()) return true;
  if (process.getuid?.() === 0) {
    log('  installing wrk (Debian package) for the HTTP load');
    for (const steps of [
      [['install', '-y', '-qq', 'wrk']],
      [
        ['update', '-qq'],
        ['install', '-y', '-qq', 'wrk'],
      ],
    ]) {
      try {
        for (const args of steps) execFileSync('apt-get', args, { stdio: 'ignore', timeout: 300_000 });
        break;
      } catch {
        // the package list may be stale: update once, then give up
      }
    }
  }
  if (hasWrk()) return true;
  log('  wrk not available: using the Node load generator (it takes more of the CPU)');
  return false;
}

/**
 * A closed-loop load by wrk: `connections` keep-alive connections on one thread, each sending its
 * next GET when the previous answer is read, for `seconds`. Bounded in time; loopback only.
 * `servedBy` is left empty: wrk does not parse headers unless asked, which would cost it CPU; the
 * caller reads the service's own per-store request counters instead.
 */
export async function runWrkLoad(o: {
  baseUrl: string;
  path: LoadPath;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rankstream-wrk-'));
  try {
    const script = join(dir, 'load.lua');
    await writeFile(script, wrkScript(o.path));
    const { stdout } = await run(
      'wrk',
      ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '5s', '-s', script, o.baseUrl],
      { timeout: (o.seconds + 30) * 1000, maxBuffer: 1024 * 1024 },
    );
    const line = stdout
      .trim()
      .split('\n')
      .find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no summary: ${stdout}`);
    const s = JSON.parse(line) as {
      requests: number;
      durationUs: number;
      non2xx: number;
      socketErrors: number;
      p50Us: number;
      p99Us: number;
      maxUs: number;
      meanUs: number;
    };
    const seconds = s.durationUs / 1e6;
    return {
      requests: s.requests,
      errors: s.non2xx + s.socketErrors,
      seconds,
      requestsPerSecond: s.requests / seconds,
      latencyMs: {
        count: s.requests,
        p50: s.p50Us / 1000,
        p99: s.p99Us / 1000,
        max: s.maxUs / 1000,
        mean: s.meanUs / 1000,
      },
      servedBy: {},
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
