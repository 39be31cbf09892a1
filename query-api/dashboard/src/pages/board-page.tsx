import { useMemo, useState } from 'preact/hooks';
import { type BoardSummary, type Entry, enc, getJson, type TopAnswer } from '../api.js';
import { formatCount, formatPeriod } from '../format.js';
import { messageOf, useChanged, useEventStream, usePoll } from '../hooks.js';
import { boardHref } from '../route.js';
import { EntriesTable } from './entries-table.js';

const SIZES = ['10', '25', '50', '100'];

/** A board's top N, live from the SSE stream, with later pages by cursor. */
export function BoardPage({ board, params }: { board: string; params: URLSearchParams }) {
  const period = params.get('period') ?? 'all';
  const at = period === 'all' ? '' : (params.get('at') ?? '');
  const limit = SIZES.includes(params.get('limit') ?? '') ? (params.get('limit') as string) : '10';
  const query = new URLSearchParams({ limit, period, ...(at ? { at } : {}), details: 'true' }).toString();
  const boards = usePoll(() => getJson<{ boards: BoardSummary[] }>('/v1/boards'), null, []);
  const definition = boards.data?.boards.find((b) => b.board === board);
  const live = useEventStream<TopAnswer>(`/v1/boards/${enc(board)}/stream?${query}`, 'top');
  const top = live.data;
  const values = useMemo(() => new Map((top?.entries ?? []).map((e) => [e.userId, `${e.rank}|${e.score}`])), [top]);
  const changed = useChanged(values);
  const [more, setMore] = useState<{ key: string; entries: Entry[]; cursor: string | null; error?: string }>({
    key: '',
    entries: [],
    cursor: null,
  });
  const pages = more.key === query ? more : { key: query, entries: [], cursor: null };
  const nextCursor = pages.entries.length > 0 ? pages.cursor : (top?.nextCursor ?? null);
  const go = (next: Record<string, string>) => {
    location.hash = boardHref(board, { period, at, limit, ...next });
  };
  const loadMore = async () => {
    if (!nextCursor) return;
    try {
      const page = await getJson<TopAnswer>(`/v1/boards/${enc(board)}/top?${query}&cursor=${enc(nextCursor)}`);
      setMore({ key: query, entries: [...pages.entries, ...page.entries], cursor: page.nextCursor });
    } catch (error) {
      setMore({ ...pages, error: messageOf(error) });
    }
  };

  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">{board}</h1>
      <form class="controls" onSubmit={(e) => e.preventDefault()}>
        <label>
          Period{' '}
          <select value={period} onChange={(e) => go({ period: e.currentTarget.value, at: '' })}>
            {['all', ...(definition?.periods ?? (period === 'all' ? [] : [period]))].map((p) => (
              <option key={p} value={p}>
                {p === 'all' ? 'all-time' : p}
              </option>
            ))}
          </select>
        </label>
        {period !== 'all' ? (
          <label>
            Day in the period <input type="date" value={at} onChange={(e) => go({ at: e.currentTarget.value })} />
          </label>
        ) : null}
        <label>
          Rows{' '}
          <select value={limit} onChange={(e) => go({ limit: e.currentTarget.value })}>
            {SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </form>
      {live.error ? (
        <p role="alert" class="error">
          {live.ended
            ? `There is no board "${board}", or it does not keep ${period} periods.`
            : `Live updates interrupted: the query API may be down. Reconnecting… ${top ? '(showing the last rows received)' : ''}`}
        </p>
      ) : null}
      {!top && !live.error ? <p class="muted">Loading the top {limit}…</p> : null}
      {top && top.entries.length === 0 ? <p class="empty">No players on this board for this period yet.</p> : null}
      {top && top.entries.length > 0 ? (
        <>
          <p class="muted" aria-live="polite">
            {formatCount(top.total)} players · {formatPeriod(top.period, top.periodKey)} · live
          </p>
          <EntriesTable
            caption={`Top ${limit}, updated as scores change`}
            entries={top.entries}
            changed={changed}
            testId="top"
          />
        </>
      ) : null}
      {pages.entries.length > 0 ? (
        <EntriesTable caption="Further down (as loaded)" entries={pages.entries} testId="more" />
      ) : null}
      {pages.error ? (
        <p role="alert" class="error">
          Could not load more rows: {pages.error}
        </p>
      ) : null}
      {nextCursor ? (
        <button type="button" onClick={loadMore}>
          Show the next {limit}
        </button>
      ) : null}
    </section>
  );
}
