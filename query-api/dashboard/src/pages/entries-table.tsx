import type { Entry } from '../api.js';
import { formatCount } from '../format.js';
import { playerHref } from '../route.js';

/** Ranked rows; rows in `changed` are highlighted, the row of `own` is marked. */
export function EntriesTable(props: {
  caption: string;
  entries: readonly Entry[];
  changed?: ReadonlySet<string>;
  own?: string;
  testId: string;
}) {
  return (
    <table data-testid={props.testId}>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col" class="num">
            Rank
          </th>
          <th scope="col">Player</th>
          <th scope="col" class="num">
            Score
          </th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((e) => (
          <tr
            key={e.userId}
            class={[props.changed?.has(e.userId) ? 'moved' : '', e.userId === props.own ? 'own' : ''].join(' ').trim()}
            data-user={e.userId}
          >
            <td class="num">{formatCount(e.rank)}</td>
            <th scope="row">
              <a href={playerHref(e.userId)}>{e.username ?? e.userId}</a>
              {e.username ? <span class="muted"> ({e.userId})</span> : null}
            </th>
            <td class="num" data-score={e.score}>
              {formatCount(e.score)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
