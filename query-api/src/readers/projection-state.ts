import type { Redis } from '@rankstream/schemas/runtime';
import { type Logger, runEvery, withTimeout } from '@rankstream/schemas/runtime';
import type { BoardDef, StoreState } from '../domain/read-model.js';

/** The projection's state as Redis last showed it, named by its version (REDIS_KEY.stateVersion). */
export interface StateSnapshot {
  version: string;
  /** The rebuild the data belongs to (epochMarkers()): reads of a slot with another one are refused. */
  epoch: string;
  boards: ReadonlyMap<string, BoardDef>;
  /** The newest instances of each period Redis keeps per board (its layout mark); 0: all. */
  keepPeriods: number;
  state: StoreState;
}

/**
 * Keeps Redis's projection state (flags, epoch, watermark, heartbeats, board definitions) in memory,
 * so that a read need not fetch it with its data. The copy is refreshed when the projector publishes
 * a new version, and polled as a safety net for a lost message (a resubscribe after a Redis restart,
 * a writer that does not publish).
 */
export class ProjectionStateCache {
  private current: StateSnapshot | undefined;
  /** Tickets order the replies: a state fetched before another must never replace it. */
  private issued = 0;
  private applied = 0;
  private refreshedAt = 0;
  private staleAfterMs = Number.POSITIVE_INFINITY;
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private poll: { stop(): Promise<void> } | undefined;
  private subscriber: Redis | undefined;
  private stopped = false;
  private fetchTimeoutMs = 1_000;

  constructor(
    /** The whole state from Redis; undefined while Redis is not ready or rebuilding. */
    private readonly fetch: () => Promise<StateSnapshot | undefined>,
    private readonly logger: Logger,
  ) {}

  /**
   * The copy in memory; undefined while Redis is not ready, rebuilding or unreachable, and when no
   * fetch has succeeded for a while (a hung connection must not freeze cached pages).
   */
  snapshot(): StateSnapshot | undefined {
    if (this.current && Date.now() - this.refreshedAt > this.staleAfterMs) return undefined;
    return this.current;
  }

  /** Taken just before a command whose reply may carry the state: see offer(). */
  ticket(): number {
    this.issued += 1;
    return this.issued;
  }

  /** The state a reply brought (none: Redis could not serve), unless a later-sent reply was applied. */
  offer(next: StateSnapshot | undefined, ticket: number = this.ticket()): void {
    if (ticket < this.applied) return;
    this.applied = ticket;
    this.refreshedAt = Date.now();
    const changed = next?.version !== this.current?.version;
    this.current = next;
    if (!changed) return;
    const waiting = [...this.listeners];
    this.listeners.clear();
    for (const wake of waiting) wake();
  }

  /** Resolves when the version changes, or after `ms` at the latest. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.listeners.delete(done);
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.listeners.add(done);
    });
  }

  /** Fetches the state now; calls made meanwhile are folded into one more fetch after this one. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const ticket = this.ticket();
        try {
          this.offer(await withTimeout(this.fetch(), this.fetchTimeoutMs), ticket);
        } catch (error) {
          this.logger.debug({ err: error }, 'projection state fetch failed');
          this.offer(undefined, ticket);
        }
      } while (this.refreshAgain && !this.stopped);
      this.refreshing = undefined;
    })();
    return this.refreshing;
  }

  /** Listens on `channel` (the subscriber connection is this cache's from now on) and polls. */
  start(options: { subscriber: Redis; channel: string; pollMs: number }): void {
    const { subscriber, channel, pollMs } = options;
    this.subscriber = subscriber;
    this.fetchTimeoutMs = Math.max(1_000, 5 * pollMs);
    this.staleAfterMs = 3 * this.fetchTimeoutMs;
    subscriber.on('message', (ch: string, version: string) => {
      if (ch === channel && version !== this.current?.version) void this.refresh();
    });
    const subscribe = () =>
      subscriber.subscribe(channel).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'cannot subscribe to projection changes: polling only');
      });
    // On every (re)connection: what was published while the connection was down is lost, so look now.
    subscriber.on('ready', () => {
      void subscribe();
      void this.refresh();
    });
    if (subscriber.status === 'ready') void subscribe();
    void this.refresh();
    this.poll = runEvery(
      pollMs,
      () => this.refresh(),
      () => {},
    );
  }

  stop(): void {
    this.stopped = true;
    void this.poll?.stop();
    this.subscriber?.disconnect();
    this.offer(undefined);
  }
}
