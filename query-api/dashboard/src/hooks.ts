import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
}

/** Calls `load` now and every `everyMs` (if given) while the component is shown; `deps` restart it. */
export function usePoll<T>(load: () => Promise<T>, everyMs: number | null, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: true });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ data: undefined, error: undefined, loading: true });
    const tick = async () => {
      try {
        const data = await load();
        if (live) setState({ data, error: undefined, loading: false });
      } catch (error) {
        if (live) setState((s) => ({ data: s.data, error: messageOf(error), loading: false }));
      }
      if (live && everyMs !== null) timer = setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
  return state;
}

export interface Stream<T> {
  data: T | undefined;
  /** Set while the stream is down (EventSource reconnects by itself) or once it has ended. */
  error: string | undefined;
  /** The server ended the feed for good: its board or period is gone. */
  ended: boolean;
}

/** The latest `event` of a Server-Sent Events stream, reconnecting as EventSource does. */
export function useEventStream<T>(url: string | null, event: string): Stream<T> {
  const [state, setState] = useState<Stream<T>>({ data: undefined, error: undefined, ended: false });
  useEffect(() => {
    setState({ data: undefined, error: undefined, ended: false });
    if (url === null) return;
    const source = new EventSource(url);
    source.addEventListener(event, (ev) => {
      setState({ data: JSON.parse((ev as MessageEvent<string>).data) as T, error: undefined, ended: false });
    });
    source.addEventListener('error', (ev) => {
      const data = (ev as MessageEvent<string | undefined>).data;
      // A server `error` event carries a code; a dropped connection has none. Only a board or period
      // that is gone ends the feed for good; otherwise EventSource reconnects.
      const code = data ? (JSON.parse(data) as { code?: string }).code : undefined;
      const ended = code !== undefined && code !== 'internal';
      if (ended) source.close();
      setState((s) => ({
        data: s.data,
        error: ended ? 'this feed has ended' : 'live updates interrupted, reconnecting…',
        ended,
      }));
    });
    return () => source.close();
  }, [url, event]);
  return state;
}

/** Keys of rows whose value changed since the previous render's, kept for `ms` (the highlight). */
export function useChanged(values: ReadonlyMap<string, string>, ms = 2_000): ReadonlySet<string> {
  const previous = useRef<ReadonlyMap<string, string> | undefined>(undefined);
  const [changed, setChanged] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    const before = previous.current;
    previous.current = values;
    // The first rows are not changes.
    if (!before || before.size === 0) return;
    const now = new Set([...values].filter(([k, v]) => before.get(k) !== v).map(([k]) => k));
    if (now.size === 0) return;
    setChanged(now);
    const timer = setTimeout(() => setChanged(new Set()), ms);
    return () => clearTimeout(timer);
  }, [values, ms]);
  return changed;
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
