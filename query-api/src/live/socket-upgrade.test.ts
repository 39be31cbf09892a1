import { describe, expect, it } from 'vitest';
import { refusalOf } from './socket-upgrade.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const handshake = (url: string, headers: Record<string, string> = {}, method = 'GET') => ({
  method,
  url,
  headers: { upgrade: 'websocket', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...headers },
});

describe('which handshakes reach the app', () => {
  it('lets a WebSocket GET to a /ws path through, with its query', () => {
    expect(refusalOf(handshake('/v1/boards/g/ws?limit=5'), false)).toBeUndefined();
    expect(refusalOf(handshake('/v1/boards/g/users/u/ws'), false)).toBeUndefined();
  });

  it('refuses any other path, so that no other route (an SSE stream) runs for an upgrade', () => {
    for (const url of ['/v1/boards/g/stream', '/v1/boards/g/stream#/ws', '/v1/boards/g/stream?x=/ws', '/']) {
      expect({ url, status: refusalOf(handshake(url), false)?.status }).toEqual({ url, status: 400 });
    }
  });

  it('refuses targets that are not paths, which would throw later', () => {
    for (const url of ['//[/ws', '//u:p@x/ws', '//a:99999/ws']) {
      expect({ url, status: refusalOf(handshake(url), false)?.status }).toEqual({ url, status: 400 });
    }
  });

  it('refuses what is not a WebSocket handshake before any read', () => {
    expect(refusalOf(handshake('/v1/boards/g/ws', {}, 'POST'), false)?.status).toBe(405);
    expect(refusalOf(handshake('/v1/boards/g/ws', { upgrade: 'h2c' }), false)?.status).toBe(400);
    expect(refusalOf(handshake('/v1/boards/g/ws', { 'sec-websocket-version': '8' }), false)?.status).toBe(400);
    expect(refusalOf(handshake('/v1/boards/g/ws', { 'sec-websocket-key': 'short' }), false)?.status).toBe(400);
  });

  it('refuses every handshake while the service stops', () => {
    expect(refusalOf(handshake('/v1/boards/g/ws'), true)).toMatchObject({ status: 503, code: 'shutting_down' });
  });
});
