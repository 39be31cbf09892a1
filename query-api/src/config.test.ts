import { ConfigError } from '@rankstream/schemas/runtime';
import { describe, expect, it } from 'vitest';
import { parseQueryConfig } from './config.js';

describe('query-api config', () => {
  it('has the documented defaults', () => {
    const c = parseQueryConfig({});
    expect(c).toMatchObject({
      QUERY_PORT: 8081,
      QUERY_RATE_LIMIT_PER_S: 1000,
      CORS_ORIGINS: ['*'],
      CONSISTENCY_WAIT_MS: 2000,
      REDIS_DEADLINE_MS: 50,
      MAX_REDIS_LAG_MS: 3000,
      REDIS_PREFIX: 'rs:',
      EVENTS_TOPIC: 'score-events',
      TRUST_FORWARDED_FOR: false,
      STREAM_MIN_INTERVAL_MS: 250,
    });
  });

  it('reads lists and switches, and turns the rate limit off with 0', () => {
    const c = parseQueryConfig({
      CORS_ORIGINS: 'https://a.example, https://b.example',
      QUERY_RATE_LIMIT_PER_S: '0',
      TRUST_FORWARDED_FOR: 'true',
    });
    expect(c.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.QUERY_RATE_LIMIT_PER_S).toBe(0);
    expect(c.TRUST_FORWARDED_FOR).toBe(true);
  });

  it('lists every bad variable at once', () => {
    expect(() => parseQueryConfig({ QUERY_PORT: 'x', REDIS_DEADLINE_MS: '0', QUERY_RATE_LIMIT_PER_S: '-1' })).toThrow(
      ConfigError,
    );
    try {
      parseQueryConfig({ QUERY_PORT: 'x', REDIS_DEADLINE_MS: '0', QUERY_RATE_LIMIT_PER_S: '-1' });
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['QUERY_PORT', 'REDIS_DEADLINE_MS', 'QUERY_RATE_LIMIT_PER_S']) expect(message).toContain(name);
    }
  });
});
