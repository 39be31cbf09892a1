import { createServer } from 'node:http';
import { SCRIPTS } from '@rankstream/query-api/redis-scripts';
import { epochMarkers, fromRedisMember, redisKeys } from '@rankstream/schemas';
import { Redis } from 'ioredis';

/**
 * The query bench's floor: the least a server can do to answer top-10, rank and around-me from
 * Redis the way the query API reads it. A plain node:http server, no framework, that runs the query
 * API's own Lua scripts (the board instance's script, then the profiles of the rows it found: the
 * same round trips and Redis work) and sends their replies as the JSON body. The projection's epoch
 * is read once at start, as the query API keeps its state in memory. No validation, no parsing or
 * shaping, no headers beyond Content-Type, no metrics, CORS, rate limit or circuit breaker: what the
 * query API adds on top is the gap between the two. Run as its own process
 * (`node query-floor-server.js`) so its CPU shows apart.
 *
 * Env: REDIS_URL, REDIS_PREFIX, FLOOR_PORT. Paths: /v1/boards/:board/top?limit=N,
 * /v1/boards/:board/users/:userId, /v1/boards/:board/users/:userId/around?radius=N (period all).
 */
const PATH = /^\/v1\/boards\/([^/?]+)\/(?:top\?limit=(\d+)|users\/([^/?]+)(?:\/around\?radius=(\d+))?)$/;

type Script = (...args: (string | number)[]) => Promise<unknown[]>;
type Row = [number, string, string];

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const keys = redisKeys(process.env.REDIS_PREFIX ?? 'rs:');
const markers = epochMarkers(keys, false);
for (const [name, { keys: n, lua }] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: n, lua });
const script = (name: keyof typeof SCRIPTS) => (redis as unknown as Record<string, Script>)[name]!.bind(redis);
const rsTop = script('rsTop');
const rsUser = script('rsUser');
const rsAround = script('rsAround');
const rsProfiles = script('rsProfiles');
let epoch = '';

async function withProfiles(reply: Promise<unknown[]>, rowsAt: number, single = false): Promise<unknown[]> {
  const r = await reply;
  const rows = (single ? [r[rowsAt]].filter(Array.isArray) : (r[rowsAt] as Row[])) as Row[];
  if (rows.length === 0) return r;
  const uids = rows.map((row) => fromRedisMember(row[1]).userId);
  return [...r, await rsProfiles(keys.profiles, markers.of(keys.profiles), epoch, ...uids)];
}

function read(url: string): Promise<unknown[]> | undefined {
  const m = PATH.exec(url);
  if (!m) return undefined;
  const [, board, limit, userId, radius] = m as unknown as [string, string, string?, string?, string?];
  const lb = keys.leaderboard(board, 'all');
  const k = [lb, keys.memberIndex(board, 'all'), markers.of(lb), keys.instanceMeta(board, 'all')];
  if (limit !== undefined) return withProfiles(rsTop(...k, epoch, 'offset', 0, Number(limit), 0, ''), 2);
  if (radius !== undefined) return withProfiles(rsAround(...k, epoch, userId!, Number(radius)), 3);
  return withProfiles(rsUser(...k, epoch, userId!), 2, true);
}

createServer((req, res) => {
  if (req.url === '/readyz') {
    redis.get(keys.ready).then(
      (ready) => {
        epoch = ready ?? '';
        res.writeHead(ready ? 200 : 503).end();
      },
      () => res.writeHead(503).end(),
    );
    return;
  }
  const reply = read(req.url ?? '');
  if (!reply) {
    res.writeHead(404).end();
    return;
  }
  reply.then(
    (body) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)),
    () => res.writeHead(500).end(),
  );
}).listen(Number(process.env.FLOOR_PORT ?? 0), '127.0.0.1');
