import { useState } from 'preact/hooks';
import { ApiError, enc, getJson, type UserAnswer, type UserStreamAnswer } from '../api.js';
import { formatCount, formatPeriod, percentile } from '../format.js';
import { useEventStream, usePoll } from '../hooks.js';
import { boardHref, playerHref } from '../route.js';
import { EntriesTable } from './entries-table.js';

/** Find a player; their profile, standing on every board, and the players around them, live. */
export function PlayerPage({ userId }: { userId: string | null }) {
  const [typed, setTyped] = useState(userId ?? '');
  return (
    <section aria-labelledby="player-title">
      <h1 id="player-title">Player</h1>
      <search>
        <form
          class="controls"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) location.hash = playerHref(typed.trim());
          }}
        >
          <label>
            Player id <input name="userId" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} required />
          </label>
          <button type="submit">Show</button>
        </form>
      </search>
      {userId ? <PlayerDetails key={userId} userId={userId} /> : <p class="muted">Type a player id to see them.</p>}
    </section>
  );
}

function PlayerDetails({ userId }: { userId: string }) {
  const user = usePoll(
    () =>
      getJson<UserAnswer>(`/v1/users/${enc(userId)}`).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
    3_000,
    [userId],
  );
  const [picked, setPicked] = useState<string | null>(null);
  const u = user.data;
  const boards = u?.boards ?? [];
  const board = picked ?? boards[0]?.board ?? null;
  const around = useEventStream<UserStreamAnswer>(
    board ? `/v1/boards/${enc(board)}/users/${enc(userId)}/stream?radius=5` : null,
    'rank',
  );
  if (u === null) return <p class="empty">No player "{userId}" has a profile or a score yet.</p>;
  if (user.error && !u) {
    return (
      <p role="alert" class="error">
        Could not load the player: {user.error}. Trying again every 3 s.
      </p>
    );
  }
  if (!u) return <p class="muted">Loading {userId}…</p>;
  return (
    <>
      <div class="profile" data-testid="profile">
        {u.imageUrl ? <img src={u.imageUrl} alt="" width={48} height={48} /> : null}
        <div>
          <p class="name">{u.username ?? u.userId}</p>
          <p class="muted">
            id {u.userId}
            {u.region ? ` · region ${u.region}` : ''}
          </p>
        </div>
      </div>
      {boards.length === 0 ? (
        <p class="empty">This player has a profile but no score on any board yet.</p>
      ) : (
        <table data-testid="standings">
          <caption>Standing on every board (current periods)</caption>
          <thead>
            <tr>
              <th scope="col">Board</th>
              <th scope="col">Period</th>
              <th scope="col" class="num">
                Rank
              </th>
              <th scope="col" class="num">
                Score
              </th>
              <th scope="col" class="num">
                Percentile
              </th>
            </tr>
          </thead>
          <tbody>
            {boards.map((b) => (
              <tr key={`${b.board}|${b.periodKey}`}>
                <th scope="row">
                  <a href={boardHref(b.board, b.period === 'all' ? {} : { period: b.period })}>{b.board}</a>
                </th>
                <td>{formatPeriod(b.period, b.periodKey)}</td>
                <td class="num">
                  {formatCount(b.rank)} of {formatCount(b.total)}
                </td>
                <td class="num">{formatCount(b.score)}</td>
                <td class="num">{percentile(b.rank, b.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {board ? (
        <>
          <h2>Around them</h2>
          <label>
            Board{' '}
            <select value={board} onChange={(e) => setPicked(e.currentTarget.value)}>
              {[...new Set(boards.map((b) => b.board))].map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </label>
          {around.data ? (
            <EntriesTable
              caption={`Five places either side on ${board}, live`}
              entries={around.data.entries}
              own={userId}
              testId="around"
            />
          ) : (
            <p class="muted">{around.error ?? 'Loading…'}</p>
          )}
        </>
      ) : null}
    </>
  );
}
