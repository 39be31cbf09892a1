/** Latency summaries for the benchmark report (pure). */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p% of samples at or below it. */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: percentileOf(sorted, 50),
    p99: percentileOf(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export function ratio(ours: number, baseline: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) return 'n/a';
  return `${(ours / baseline).toFixed(2)}×`;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** How far a projection had got at a moment: `applied` events after `seconds`. */
export interface ProgressSample {
  seconds: number;
  applied: number;
}

/**
 * Events/s between the first sample at or past `from` applied events and the first at or past `to`:
 * the steady rate, without the group join at the start and the last partial batches at the end.
 */
export function sustainedRate(samples: readonly ProgressSample[], from: number, to: number): number {
  const a = samples.find((s) => s.applied >= from);
  const b = samples.find((s) => s.applied >= to);
  if (!a || !b || b.seconds <= a.seconds) return Number.NaN;
  return (b.applied - a.applied) / (b.seconds - a.seconds);
}
