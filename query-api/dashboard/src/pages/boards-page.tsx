import { type BoardSummary, getJson } from '../api.js';
import { formatCalendar, formatCount } from '../format.js';
import { usePoll } from '../hooks.js';
import { boardHref } from '../route.js';

export function BoardsPage() {
  const boards = usePoll(() => getJson<{ boards: BoardSummary[] }>('/v1/boards'), 5_000, []);
  const list = boards.data?.boards;
  return (
    <section aria-labelledby="boards-title">
      <h1 id="boards-title">Boards</h1>
      {boards.error ? (
        <p role="alert" class="error">
          Could not load the boards: {boards.error}. Trying again every 5 s.
        </p>
      ) : null}
      {boards.loading && !list ? <p class="muted">Loading boards…</p> : null}
      {list && list.length === 0 ? (
        <p class="empty">
          No boards yet. A board appears with its first event: post one from <a href="#/admin">Admin</a> or from your
          game server (<code>POST /v1/events</code> on the ingest API).
        </p>
      ) : null}
      {list && list.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Board</th>
              <th scope="col">Order</th>
              <th scope="col">Periods</th>
              <th scope="col">Periods reset</th>
              <th scope="col" class="num">
                Players
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((b) => (
              <tr key={b.board}>
                <th scope="row">
                  <a href={boardHref(b.board)}>{b.board}</a>
                </th>
                <td>{b.order === 'desc' ? 'highest first' : 'lowest first'}</td>
                <td>{['all-time', ...b.periods].join(', ')}</td>
                <td>{b.periods.length > 0 ? formatCalendar(b.timeZone, b.weekStartsOn) : '—'}</td>
                <td class="num">{formatCount(b.players)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
