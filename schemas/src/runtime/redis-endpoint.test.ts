import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from './redis-endpoint.js';

describe('REDIS_URL', () => {
  it('reads a standalone server with AUTH and a database', () => {
    expect(parseRedisUrl('redis://app:p%40ss@cache.example.com:6380/2')).toEqual({
      cluster: false,
      tls: false,
      nodes: [{ host: 'cache.example.com', port: 6380 }],
      username: 'app',
      password: 'p@ss',
      db: 2,
    });
    expect(parseRedisUrl('redis://:secret@127.0.0.1')).toEqual({
      cluster: false,
      tls: false,
      nodes: [{ host: '127.0.0.1', port: 6379 }],
      password: 'secret',
      db: 0,
    });
  });

  it('reads a cluster from its scheme, or from REDIS_CLUSTER, with TLS from rediss', () => {
    expect(parseRedisUrl('rediss+cluster://a:7000,b:7001,[::1]:7002')).toEqual({
      cluster: true,
      tls: true,
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      db: 0,
    });
    expect(parseRedisUrl('redis://seed:7000', true)).toMatchObject({
      cluster: true,
      nodes: [{ host: 'seed', port: 7000 }],
    });
  });

  it('names what is wrong', () => {
    expect(parseRedisUrl('http://x')).toMatch(/unknown scheme http/);
    expect(parseRedisUrl('redis://a:1,b:2')).toMatch(/redis\+cluster/);
    expect(parseRedisUrl('redis+cluster://a:1/3')).toMatch(/database 0 only/);
    expect(parseRedisUrl('redis://a:99999')).toMatch(/port out of range/);
    expect(parseRedisUrl('127.0.0.1:6379')).toMatch(/must look like/);
  });
});
