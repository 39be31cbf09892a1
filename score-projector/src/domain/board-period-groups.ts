/** Rows of one (board, period key), in the order they came. */
export interface BoardPeriodGroup<T> {
  board: string;
  periodKey: string;
  rows: T[];
}

/**
 * Groups a batch's rows by (board, period key), groups in order of first appearance. A batch names
 * a few pairs thousands of times, so both stores take each pair once per group; nested maps, so no
 * key string is built per row.
 */
export function groupByBoardPeriod<T extends { board: string; periodKey: string }>(
  rows: readonly T[],
): BoardPeriodGroup<T>[] {
  const byBoard = new Map<string, Map<string, T[]>>();
  const groups: BoardPeriodGroup<T>[] = [];
  for (const row of rows) {
    let byPeriod = byBoard.get(row.board);
    if (byPeriod === undefined) {
      byPeriod = new Map();
      byBoard.set(row.board, byPeriod);
    }
    let group = byPeriod.get(row.periodKey);
    if (group === undefined) {
      group = [];
      byPeriod.set(row.periodKey, group);
      groups.push({ board: row.board, periodKey: row.periodKey, rows: group });
    }
    group.push(row);
  }
  return groups;
}
