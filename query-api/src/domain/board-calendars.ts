import { type PeriodCalendar, UTC_CALENDAR } from '@rankstream/schemas';

export function sameCalendar(a: PeriodCalendar, b: PeriodCalendar): boolean {
  return a.timeZone === b.timeZone && a.weekStartsOn === b.weekStartsOn;
}

/**
 * The calendar of each board as the last read showed it. A read needs the period key before it can
 * fetch the board's definition with the data, so the key is named by the calendar known from earlier
 * reads (UTC for a board not read yet) and the read is redone when the definition disagrees. A
 * calendar is fixed while the board keeps periods, so that happens once per board and process.
 */
export class BoardCalendars {
  private readonly byBoard = new Map<string, PeriodCalendar>();

  of(board: string): PeriodCalendar {
    return this.byBoard.get(board) ?? UTC_CALENDAR;
  }

  /** Whether `used` was the board's calendar; if not, the board's is remembered for the next read. */
  confirm(board: string, used: PeriodCalendar, actual: PeriodCalendar): boolean {
    if (sameCalendar(used, actual)) return true;
    this.byBoard.set(board, { timeZone: actual.timeZone, weekStartsOn: actual.weekStartsOn });
    return false;
  }
}
