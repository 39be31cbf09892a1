import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../http-error.js';
import { installErrorHandling, isDependencyUnavailable } from './http.js';
import { createLogger } from './logger.js';

const app = (error: unknown) => {
  const a = new Hono();
  installErrorHandling(a, createLogger('test', 'silent'));
  a.get('/x', () => {
    throw error;
  });
  return a;
};

describe('the shared error handling', () => {
  it('answers 503 with Retry-After when PostgreSQL or another dependency is unreachable', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const res = await app(refused).request('/x');
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(await res.json()).toEqual({
      error: { code: 'unavailable', message: 'a backing service is unreachable; retry shortly', details: [] },
    });
  });

  it('recognises PostgreSQL shutdown codes and node-postgres connection messages, not ordinary errors', () => {
    expect(isDependencyUnavailable(Object.assign(new Error('terminating'), { code: '57P01' }))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error('no connection'), { code: '08006' }))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDependencyUnavailable(new TypeError('x is undefined'))).toBe(false);
  });

  it('keeps an HttpError as it is and hides anything else behind a 500', async () => {
    const teapot = await app(new HttpError(409, 'order_immutable', 'no')).request('/x');
    expect(teapot.status).toBe(409);
    const bug = await app(new TypeError('x is undefined')).request('/x');
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ error: { code: 'internal', message: 'internal server error', details: [] } });
  });
});
