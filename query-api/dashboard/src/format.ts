/** How the dashboard shows numbers and times to people. Pure: the tests pin every case. */

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 1234567 → "1,234,567". */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : whole.format(n);
}

/** A rate per second: "1,234/s", or "0.25/s" below one. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '—';
  return `${perSecond > 0 && perSecond < 1 ? twoDecimals.format(perSecond) : whole.format(perSecond)}/s`;
}

/** A duration: "0 ms", "850 ms", "4.2 s", "3 min", "2 h 5 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

/** How long ago `at` was, from `now`: "just now", "12 s ago", "5 min ago", "3 h ago", "2 days ago". */
export function formatAgo(at: number, now: number): string {
  const s = Math.max(0, Math.floor((now - at) / 1_000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ago`;
  const days = Math.floor(s / 86_400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** The query API's percentile: rank 1 of any total is 100, the last of 4 is 25. */
export function percentile(rank: number, total: number): string {
  if (total <= 0 || rank < 1) return '—';
  return twoDecimals.format((100 * (total - rank + 1)) / total);
}

/** A period for people: "all-time", or "daily 2026-12-06" from the key "daily:2026-12-06". */
export function formatPeriod(period: string, periodKey: string): string {
  if (period === 'all') return 'all-time';
  return `${period} ${periodKey.startsWith(`${period}:`) ? periodKey.slice(period.length + 1) : periodKey}`;
}

const DETAILS_SHOWN = 80;

/** An entry's details for a table cell: compact JSON, cut at 80 characters; a dash for none. */
export function formatDetails(details: unknown): string {
  if (details === undefined || details === null) return '—';
  const text = JSON.stringify(details);
  return text.length > DETAILS_SHOWN ? `${text.slice(0, DETAILS_SHOWN - 1)}…` : text;
}

/** When a board's periods reset: "UTC, weeks from Monday", "America/New_York, weeks from Sunday". */
export function formatCalendar(timeZone: string, weekStartsOn: string): string {
  return `${timeZone}, weeks from ${weekStartsOn.charAt(0).toUpperCase()}${weekStartsOn.slice(1)}`;
}
