import { useState } from 'preact/hooks';
import { enc, sendWithKey } from '../api.js';
import { messageOf } from '../hooks.js';
import { boardHref } from '../route.js';
import { ModerationPanel } from './moderation-panel.js';

const KEY_ITEM = 'rankstream.ingestKey';
/** As the ingest API names them (schemas' WEEKDAYS; the browser bundle does not load the package). */
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
/** The zones this browser knows, offered as suggestions; the ingest API decides what it accepts. */
const TIME_ZONES: readonly string[] = (
  Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
).supportedValuesOf?.('timeZone') ?? ['UTC'];

/**
 * With an ingest API key (kept in this tab's session storage only): create a board, post an event,
 * moderate players.
 */
export function AdminPage({ ingestUrl }: { ingestUrl: string | null }) {
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY_ITEM) ?? '');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const saveKey = (value: string) => {
    setKey(value);
    if (value) sessionStorage.setItem(KEY_ITEM, value);
    else sessionStorage.removeItem(KEY_ITEM);
  };
  const run = async (what: () => Promise<string>) => {
    setOutcome(null);
    try {
      setOutcome({ ok: true, text: await what() });
    } catch (error) {
      setOutcome({ ok: false, text: messageOf(error) });
    }
  };
  const readOnly = key === '' || ingestUrl === null;

  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <form class="controls" onSubmit={(e) => e.preventDefault()}>
        <label>
          Ingest API key{' '}
          <input
            type="password"
            name="apiKey"
            autoComplete="off"
            value={key}
            onInput={(e) => saveKey(e.currentTarget.value.trim())}
          />
        </label>
        {key ? (
          <button type="button" onClick={() => saveKey('')}>
            Forget the key
          </button>
        ) : null}
      </form>
      <p class="muted" data-testid="mode">
        {readOnly
          ? 'Read-only: paste an ingest API key (admin scope to create boards and moderate, ingest scope to post events). It stays in this tab only.'
          : `Calls go to ${ingestUrl} with this key; it is kept in this tab's session storage only.`}
      </p>
      {outcome ? (
        <p role={outcome.ok ? 'status' : 'alert'} class={outcome.ok ? 'ok' : 'error'} data-testid="outcome">
          {outcome.text}
        </p>
      ) : null}
      <form
        class="panel"
        aria-labelledby="create-board"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const board = String(f.get('board') ?? '').trim();
          const periods = f.getAll('periods').map(String);
          const timeZone = String(f.get('timeZone') ?? '').trim();
          const weekStartsOn = String(f.get('weekStartsOn') ?? '');
          void run(async () => {
            await sendWithKey(`${ingestUrl}/v1/boards/${enc(board)}`, 'PUT', key, {
              order: f.get('order'),
              defaultOp: f.get('defaultOp'),
              periods,
              // Left empty: the board keeps what it has (UTC and Monday for a new one).
              ...(timeZone ? { timeZone } : {}),
              ...(weekStartsOn ? { weekStartsOn } : {}),
            });
            return `Board "${board}" saved.`;
          });
        }}
      >
        <h2 id="create-board">Create or update a board</h2>
        <fieldset disabled={readOnly}>
          <label>
            Board id <input name="board" required pattern="[a-z0-9_.:\-]{1,64}" title="1 to 64 of a-z, 0-9, _ . : -" />
          </label>
          <label>
            Order{' '}
            <select name="order">
              <option value="desc">highest first</option>
              <option value="asc">lowest first</option>
            </select>
          </label>
          <label>
            Default op{' '}
            <select name="defaultOp">
              <option value="add">add</option>
              <option value="set">set</option>
              <option value="best">best</option>
            </select>
          </label>
          <fieldset class="inline">
            <legend>Periods besides all-time</legend>
            {['daily', 'weekly', 'monthly'].map((p) => (
              <label key={p}>
                <input type="checkbox" name="periods" value={p} /> {p}
              </label>
            ))}
          </fieldset>
          <label>
            Time zone of the periods <input name="timeZone" list="time-zones" placeholder="UTC" autocomplete="off" />
          </label>
          <datalist id="time-zones">
            {TIME_ZONES.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <label>
            Weeks start on{' '}
            <select name="weekStartsOn">
              <option value="">(unchanged; Monday for a new board)</option>
              {WEEKDAYS.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Save the board</button>
        </fieldset>
      </form>
      <form
        class="panel"
        aria-labelledby="post-event"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const board = String(f.get('board') ?? '').trim();
          void run(async () => {
            const answer = await sendWithKey<{ events: { eventId: string; partition: number; offset: number }[] }>(
              `${ingestUrl}/v1/events`,
              'POST',
              key,
              { userId: String(f.get('userId')).trim(), board, value: Number(f.get('value')) },
            );
            const ev = answer.events[0];
            return `Accepted: event ${ev?.eventId} at partition ${ev?.partition}, offset ${ev?.offset}. It shows on ${board} within moments.`;
          });
        }}
      >
        <h2 id="post-event">Post a test event</h2>
        <fieldset disabled={readOnly}>
          <label>
            Player id <input name="userId" required />
          </label>
          <label>
            Board <input name="board" required defaultValue="global" />
          </label>
          <label>
            Value <input name="value" type="number" required step="1" defaultValue="100" />
          </label>
          <button type="submit">Post the event</button>
        </fieldset>
        <p class="muted">
          Then watch it on <a href={boardHref('global')}>the board</a>.
        </p>
      </form>
      <ModerationPanel ingestUrl={ingestUrl} apiKey={key} readOnly={readOnly} run={run} />
    </section>
  );
}
