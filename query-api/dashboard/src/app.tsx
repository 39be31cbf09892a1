import { useEffect, useState } from 'preact/hooks';
import { getJson, ingestUrl, type QueryStatus } from './api.js';
import { usePoll } from './hooks.js';
import { AdminPage } from './pages/admin-page.js';
import { BoardPage } from './pages/board-page.js';
import { BoardsPage } from './pages/boards-page.js';
import { PipelinePage } from './pages/pipeline-page.js';
import { PlayerPage } from './pages/player-page.js';
import { StoreBadge } from './pages/store-badge.js';
import { parseRoute, type Route } from './route.js';

const NAV: { page: Route['page']; href: string; label: string }[] = [
  { page: 'boards', href: '#/', label: 'Boards' },
  { page: 'player', href: '#/player', label: 'Player' },
  { page: 'pipeline', href: '#/pipeline', label: 'Pipeline' },
  { page: 'admin', href: '#/admin', label: 'Admin' },
];

export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [ingest, setIngest] = useState<string | null>(null);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    void ingestUrl().then(setIngest);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const status = usePoll(() => getJson<QueryStatus>('/v1/status'), 2_000, []);
  const current = route.page === 'board' ? 'boards' : route.page;

  return (
    <>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header>
        <a class="brand" href="#/">
          Rankstream
        </a>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a key={n.page} href={n.href} aria-current={n.page === current ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <StoreBadge status={status} />
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'boards' ? <BoardsPage /> : null}
        {route.page === 'board' ? <BoardPage key={route.board} board={route.board} params={route.params} /> : null}
        {route.page === 'player' ? <PlayerPage userId={route.userId} /> : null}
        {route.page === 'pipeline' ? <PipelinePage status={status} ingestUrl={ingest} /> : null}
        {route.page === 'admin' ? <AdminPage ingestUrl={ingest} /> : null}
      </main>
    </>
  );
}
