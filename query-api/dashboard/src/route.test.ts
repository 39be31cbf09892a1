import { describe, expect, it } from 'vitest';
import { boardHref, parseRoute, playerHref } from './route.js';

describe('the page from the hash', () => {
  it('reads every page and round-trips its links', () => {
    expect(parseRoute('')).toEqual({ page: 'boards' });
    expect(parseRoute('#/pipeline')).toEqual({ page: 'pipeline' });
    expect(parseRoute('#/admin')).toEqual({ page: 'admin' });
    expect(parseRoute('#/player')).toEqual({ page: 'player', userId: null });
    expect(parseRoute(playerHref('a b/c'))).toEqual({ page: 'player', userId: 'a b/c' });
    const board = parseRoute(boardHref('speed run', { period: 'daily', at: '2026-12-01', limit: '' }));
    expect(board.page === 'board' && [board.board, board.params.toString()]).toEqual([
      'speed run',
      'period=daily&at=2026-12-01',
    ]);
    expect(parseRoute('#/nowhere')).toEqual({ page: 'boards' });
    expect(parseRoute('#/player/100%')).toEqual({ page: 'player', userId: '100%' });
  });
});
