/** The page shown, from the URL's hash (#/board/global?period=daily), so links and reloads keep it. */
export type Route =
  | { page: 'boards' }
  | { page: 'board'; board: string; params: URLSearchParams }
  | { page: 'player'; userId: string | null }
  | { page: 'pipeline' }
  | { page: 'admin' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decoded);
  if (parts[0] === 'board' && parts[1]) return { page: 'board', board: parts[1], params: new URLSearchParams(query) };
  if (parts[0] === 'player') return { page: 'player', userId: parts[1] ?? null };
  if (parts[0] === 'pipeline') return { page: 'pipeline' };
  if (parts[0] === 'admin') return { page: 'admin' };
  return { page: 'boards' };
}

export function boardHref(board: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  return `#/board/${encodeURIComponent(board)}${query ? `?${query}` : ''}`;
}

export function playerHref(userId: string): string {
  return `#/player/${encodeURIComponent(userId)}`;
}

/** A hash segment decoded, or as typed when it is not valid percent-encoding. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
