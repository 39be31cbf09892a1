import { useState } from 'preact/hooks';
import { enc, sendWithKey } from '../api.js';

interface AuditEntry {
  eventId: string;
  action: string;
  userId: string;
  board: string | null;
  actor: string;
  reason: string | null;
  occurredAt: string;
  removed: number;
}

type Action = 'remove' | 'ban' | 'unban' | 'erase';

const DONE: Record<Action, string> = {
  remove: 'removed from the board',
  ban: 'banned',
  unban: 'no longer banned',
  erase: 'erased for good',
};

/**
 * Moderation with an admin key: remove a player's entry from a board, ban or lift a ban, erase a
 * player (only once the box saying it cannot be undone is ticked), and the audit of what was done.
 * Each action is an event in the log; the projector applies it within moments.
 */
export function ModerationPanel(props: {
  ingestUrl: string | null;
  apiKey: string;
  readOnly: boolean;
  run: (what: () => Promise<string>) => Promise<void>;
}) {
  const { ingestUrl, apiKey, readOnly, run } = props;
  const [audit, setAudit] = useState<AuditEntry[] | null>(null);
  const [eraseConfirmed, setEraseConfirmed] = useState(false);

  const act = (form: HTMLFormElement, action: Action) => {
    const f = new FormData(form);
    const userId = String(f.get('userId') ?? '').trim();
    const board = String(f.get('board') ?? '').trim();
    const reason = String(f.get('reason') ?? '').trim();
    const withReason = reason ? { reason } : {};
    void run(async () => {
      if (action === 'remove') {
        const query = reason ? `?reason=${enc(reason)}` : '';
        await sendWithKey(`${ingestUrl}/v1/boards/${enc(board)}/users/${enc(userId)}${query}`, 'DELETE', apiKey);
      } else if (action === 'erase') {
        await sendWithKey(`${ingestUrl}/v1/users/${enc(userId)}`, 'DELETE', apiKey, withReason);
        setEraseConfirmed(false);
      } else {
        await sendWithKey(
          `${ingestUrl}/v1/users/${enc(userId)}/ban`,
          action === 'ban' ? 'POST' : 'DELETE',
          apiKey,
          withReason,
        );
      }
      return `Player "${userId}" ${DONE[action]}${action === 'remove' ? ` ${board}` : ''}: in the log, applied within moments.`;
    });
  };

  return (
    <>
      <form class="panel" aria-labelledby="moderate" onSubmit={(e) => e.preventDefault()}>
        <h2 id="moderate">Moderate a player</h2>
        <fieldset disabled={readOnly}>
          <label>
            Player to moderate <input name="userId" required />
          </label>
          <label>
            Board to remove from <input name="board" defaultValue="global" />
          </label>
          <label>
            Reason <input name="reason" maxLength={256} />
          </label>
          <div class="inline">
            <button type="button" onClick={(e) => act(e.currentTarget.form!, 'remove')}>
              Remove from the board
            </button>
            <button type="button" onClick={(e) => act(e.currentTarget.form!, 'ban')}>
              Ban
            </button>
            <button type="button" onClick={(e) => act(e.currentTarget.form!, 'unban')}>
              Lift the ban
            </button>
          </div>
          <label>
            <input
              type="checkbox"
              name="eraseConfirmed"
              checked={eraseConfirmed}
              onChange={(e) => setEraseConfirmed(e.currentTarget.checked)}
            />{' '}
            Erasing cannot be undone: the player leaves every board and their profile is deleted for good
          </label>
          <button type="button" disabled={!eraseConfirmed} onClick={(e) => act(e.currentTarget.form!, 'erase')}>
            Erase the player
          </button>
        </fieldset>
      </form>
      <section class="panel" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit</h2>
        <button
          type="button"
          disabled={readOnly}
          onClick={() =>
            void run(async () => {
              const answer = await sendWithKey<{ entries: AuditEntry[] }>(
                `${ingestUrl}/v1/admin/audit?limit=20`,
                'GET',
                apiKey,
              );
              setAudit(answer.entries);
              return `${answer.entries.length} recent admin actions.`;
            })
          }
        >
          Show recent actions
        </button>
        {audit ? (
          <table data-testid="audit">
            <caption>The admin actions the projector applied, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Player</th>
                <th scope="col">Board</th>
                <th scope="col">By</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {audit.map((a) => (
                <tr key={a.eventId}>
                  <td>{a.occurredAt}</td>
                  <td>{a.action}</td>
                  <td>{a.userId}</td>
                  <td>{a.board ?? '—'}</td>
                  <td>{a.actor}</td>
                  <td>{a.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}
