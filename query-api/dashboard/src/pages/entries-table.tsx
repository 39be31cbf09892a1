import type { Entry } from '../api.js';
import { formatCount, formatDetails } from '../format.js';
import { playerHref } from '../route.js';

/**
 * Ranked rows; rows in `changed` are highlighted, the row of `own` is marked. Entries read with
 * details=true get a column with them when any has some.
 */
export function EntriesTable(props: {
  caption: string;
  entries: readonly Entry[];
  changed?: ReadonlySet<string>;
  own?: string;
  testId: string;
}) {
  const withDetails = props.entries.some((e) => e.details !== undefined && e.details !== null);
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
          {withDetails ? <th scope="col">Details</th> : null}
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
            {withDetails ? <td class="details">{formatDetails(e.details)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
