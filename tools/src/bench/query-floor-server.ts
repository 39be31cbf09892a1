import { createServer } from 'node:http';
import { SCRIPTS } from '@rankstream/query-api/redis-scripts';
import { epochMarkers, redisKeys } from '@rankstream/schemas';
import { Redis } from 'ioredis';

/**
 * The query bench's floor: the least a server can do to answer top-10, rank and around-me from
 * Redis the way the query API reads it. A plain node:http server, no framework, that runs the query
 * API's own Lua script (the board instance's, which on a standalone server also reads the profiles
 * of the rows it found: the same round trip and Redis work) and sends its reply as the JSON body. The projection's epoch
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

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const keys = redisKeys(process.env.REDIS_PREFIX ?? 'rs:');
const markers = epochMarkers(keys, false);
for (const [name, { keys: n, lua }] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: n, lua });
const script = (name: keyof typeof SCRIPTS) => (redis as unknown as Record<string, Script>)[name]!.bind(redis);
const rsTop = script('rsTop');
const rsUser = script('rsUser');
const rsAround = script('rsAround');
let epoch = '';

function read(url: string): Promise<unknown[]> | undefined {
  const m = PATH.exec(url);
  if (!m) return undefined;
  const [, board, limit, userId, radius] = m as unknown as [string, string, string?, string?, string?];
  const lb = keys.leaderboard(board, 'all');
  // A standalone server: the board script reads the rows' profiles in the same call.
  const k = [lb, keys.memberIndex(board, 'all'), markers.of(lb), keys.instanceMeta(board, 'all'), keys.profiles];
  if (limit !== undefined) return rsTop(...k, epoch, '0', 'offset', 0, Number(limit), 0, '');
  if (radius !== undefined) return rsAround(...k, epoch, '0', userId!, Number(radius));
  return rsUser(...k, epoch, '0', userId!);
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
