/**
 * Wall-clock time in an IANA time zone, for period boundaries. Intl (ICU's copy of the tz database)
 * is the only source of offsets, so every service on one Node version cuts periods at the same
 * instants; formatting a date costs microseconds, so offsets are memoised per 15-minute slot.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (names are matched without regard to case, as Intl does). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  if (formatters.has(name)) return true;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at `ms`, in ms, to the second (tz offsets have no finer part). */
export function zoneOffsetAt(timeZone: string, ms: number): number {
  const whole = ms - (((ms % 1000) + 1000) % 1000);
  const p: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(whole)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return wall - whole;
}

const SLOT_MS = 15 * 60_000;
/** Slots remembered per zone before the memo starts afresh: a batch spans few of them. */
const MEMO_SLOTS = 4096;
/** Per zone: slot -> the offset over the whole slot, or null when the offset changes inside it. */
const offsets = new Map<string, Map<number, number | null>>();

/**
 * `ms` shifted to the zone's wall clock: the instant whose UTC fields read as the local date and
 * time. A slot is memoised only when its first and last second have the same offset; zones change
 * offset at most once in 15 minutes, so that offset then holds across the slot. UTC is the identity.
 */
export function wallClock(timeZone: string, ms: number): number {
  if (timeZone === 'UTC') return ms;
  let memo = offsets.get(timeZone);
  if (memo === undefined || memo.size >= MEMO_SLOTS) {
    memo = new Map();
    offsets.set(timeZone, memo);
  }
  const slot = Math.floor(ms / SLOT_MS);
  let offset = memo.get(slot);
  if (offset === undefined) {
    const first = zoneOffsetAt(timeZone, slot * SLOT_MS);
    offset = first === zoneOffsetAt(timeZone, (slot + 1) * SLOT_MS - 1) ? first : null;
    memo.set(slot, offset);
  }
  return ms + (offset ?? zoneOffsetAt(timeZone, ms));
}
