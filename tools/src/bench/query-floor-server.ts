import { createServer } from 'node:http';
import { SCRIPTS } from '@rankstream/query-api/redis-scripts';
import { Redis } from 'ioredis';

/**
 * The query bench's floor: the least a server can do to answer top-10, rank and around-me from
 * Redis with the snapshot the issue asks for. A plain node:http server, no framework, that runs the
 * query API's own Lua script once per request (one round trip, the same Redis work) and sends its
 * reply as the JSON body. It asks for the whole state and the board's definition with every read
 * (known version ''), as the query API did before it kept them in memory: the floor of that design. No validation, no parsing or shaping, no headers beyond Content-Type,
 * no metrics, CORS, rate limit or circuit breaker: what the query API adds on top is the gap
 * between the two. Run as its own process (`node query-floor-server.js`) so its CPU shows apart.
 *
 * Env: REDIS_URL, REDIS_PREFIX, FLOOR_PORT. Paths: /v1/boards/:board/top?limit=N,
 * /v1/boards/:board/users/:userId, /v1/boards/:board/users/:userId/around?radius=N (period all).
 */
const PATH = /^\/v1\/boards\/([^/?]+)\/(?:top\?limit=(\d+)|users\/([^/?]+)(?:\/around\?radius=(\d+))?)$/;

type Script = (...args: (string | number)[]) => Promise<unknown[]>;

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = process.env.REDIS_PREFIX ?? 'rs:';
for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 0, lua });
const script = (name: keyof typeof SCRIPTS) => (redis as unknown as Record<string, Script>)[name]!.bind(redis);
const rsTop = script('rsTop');
const rsUser = script('rsUser');
const rsAround = script('rsAround');

function read(url: string): Promise<unknown[]> | undefined {
  const m = PATH.exec(url);
  if (!m) return undefined;
  const [, board, limit, userId, radius] = m as unknown as [string, string, string?, string?, string?];
  if (limit !== undefined) return rsTop(prefix, '', board, 'all', '1', 'offset', 0, Number(limit), 0, '');
  if (radius !== undefined) return rsAround(prefix, '', board, 'all', '1', userId!, Number(radius));
  return rsUser(prefix, '', board, 'all', '1', userId!);
}

createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(redis.status === 'ready' ? 200 : 503).end();
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
