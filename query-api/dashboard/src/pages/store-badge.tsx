import type { QueryStatus } from '../api.js';
import type { Loaded } from '../hooks.js';

const WHY: Record<string, string> = {
  not_ready: 'Redis is not ready (being filled from PostgreSQL)',
  rebuilding: 'Redis is rebuilding',
  breaker_open: 'Redis is unreachable',
  redis_error: 'Redis answered with an error',
  redis_timeout: 'Redis is too slow',
  redis_behind: 'Redis is behind PostgreSQL',
  board_missing: 'Redis lacks this board',
  stale_epoch: 'Redis was rebuilt meanwhile',
  beyond_top_k: 'past what Redis keeps',
};

/** Why reads go to PostgreSQL, for people. */
export function fallbackText(reason: string | null): string {
  return reason === null ? 'fallback' : (WHY[reason] ?? reason);
}

/** Which store answers reads right now, and why not Redis when it does not. */
export function StoreBadge({ status }: { status: Loaded<QueryStatus> }) {
  const s = status.data;
  if (status.error && !s) {
    return (
      <p class="badge badge-down" role="status" data-testid="store">
        Query API unreachable: {status.error}
      </p>
    );
  }
  if (!s) {
    return (
      <p class="badge" role="status" data-testid="store">
        Checking the stores…
      </p>
    );
  }
  const redis = s.servedBy === 'redis';
  return (
    <p class={`badge ${redis ? 'badge-redis' : 'badge-postgres'}`} role="status" data-testid="store">
      Served by <strong>{redis ? 'Redis' : 'PostgreSQL'}</strong>
      {!redis ? <span> · {fallbackText(s.fallbackReason)}</span> : null}
    </p>
  );
}
