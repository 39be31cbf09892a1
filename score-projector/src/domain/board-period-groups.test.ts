import { describe, expect, it } from 'vitest';
import { groupByBoardPeriod } from './board-period-groups.js';

describe('groupByBoardPeriod', () => {
  it('groups rows by board and period key, in order of first appearance, keeping row order', () => {
    const rows = [
      { board: 'b', periodKey: 'all', n: 1 },
      { board: 'a', periodKey: 'all', n: 2 },
      { board: 'b', periodKey: 'daily:2026-12-06', n: 3 },
      { board: 'b', periodKey: 'all', n: 4 },
      { board: 'a', periodKey: 'all', n: 5 },
    ];
    expect(groupByBoardPeriod(rows).map((g) => [g.board, g.periodKey, g.rows.map((r) => r.n)])).toEqual([
      ['b', 'all', [1, 4]],
      ['a', 'all', [2, 5]],
      ['b', 'daily:2026-12-06', [3]],
    ]);
    expect(groupByBoardPeriod([])).toEqual([]);
  });
});
