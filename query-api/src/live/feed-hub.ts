import { HttpError } from '@rankstream/schemas';
import type { Logger } from '@rankstream/schemas/runtime';
import type { Scope } from '../domain/answers.js';
import { watermarkEtag } from '../domain/etag.js';
import type { StoreName, StoreState } from '../domain/read-model.js';

/** What a live feed sends: the same events over SSE and WebSocket. */
export interface FeedMessage {
  event: 'top' | 'rank' | 'heartbeat' | 'error';
  /** JSON text. */
  data: string;
}

/** Why a feed ended for a subscriber: the service stops, its board or period is gone, an error. */
export type FeedEnd = 'shutdown' | 'gone' | 'error';

/** One open stream or socket. `send` must not block: a transport that cannot keep up ends itself. */
export interface FeedSubscriber {
  send(message: FeedMessage): void;
  end(why: FeedEnd): void;
}

/** A feed's definition: subscribers with the same key get the same answers. */
export interface FeedSpec {
  key: string;
  event: 'top' | 'rank';
  scopeNow(): Scope;
  /** The answer's JSON at the current state; throws an HttpError when its board or period is gone. */
  readBody(scope: Scope): Promise<string>;
}

export interface FeedHubDeps {
  readState(): Promise<{ servedBy: StoreName; state: StoreState }>;
  now(): number;
  logger: Logger;
  pollMs: number;
  minIntervalMs: number;
  heartbeatMs: number;
  onFeeds?(open: number): void;
  /** A feed read its answer (once per change, whatever its subscribers). */
  onRead?(): void;
}

/** Subscribers sent to between two turns of the event loop. */
const FANOUT_SLICE = 500;

interface Member {
  subscriber: FeedSubscriber;
  lastWrite: number;
}

interface Feed {
  spec: FeedSpec;
  members: Set<Member>;
  /** The last answer sent, which a subscriber joining later gets at once (the same object, framed once). */
  last: FeedMessage | undefined;
  marker: string;
  lastPush: number;
  /** A pass (read, sends) is still running: the next tick leaves the feed alone. */
  busy: boolean;
}

/**
 * One publisher per distinct feed (a board instance's top N, or one user's standing), however many
 * subscribers it has. Every `pollMs` the hub reads the projection's state once for all feeds; a
 * feed reads its answer again only when the state moved for it (or its period rolled over), and
 * sends it to every subscriber when it changed, at least `minIntervalMs` apart. 10,000 subscribers
 * of one board cost one read per change, not 10,000. A subscriber silent for `heartbeatMs` gets a
 * heartbeat.
 */
export function createFeedHub(deps: FeedHubDeps) {
  const feeds = new Map<string, Feed>();
  let stopped = false;
  let ticking = false;
  let readFailing = false;

  /**
   * Sends to the members given (all by default) as they were when the message was made, a slice at
   * a time: a socket write costs ~15 µs, so 10,000 in one go would hold the event loop ~150 ms.
   */
  async function broadcast(feed: Feed, message: FeedMessage, members = [...feed.members]): Promise<void> {
    for (let i = 0; i < members.length; i += FANOUT_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const at = deps.now();
      for (const m of members.slice(i, i + FANOUT_SLICE)) {
        if (!feed.members.has(m)) continue;
        m.subscriber.send(message);
        m.lastWrite = at;
      }
    }
  }

  function endFeed(feed: Feed, why: FeedEnd): void {
    forget(feed);
    for (const m of feed.members) m.subscriber.end(why);
    feed.members.clear();
  }

  /** Out of the map first: whoever subscribes from now on starts a feed of their own. */
  function forget(feed: Feed): void {
    if (feeds.get(feed.spec.key) === feed) feeds.delete(feed.spec.key);
    deps.onFeeds?.(feeds.size);
  }

  /** Reads and sends the feed's answer if the state moved for it. */
  async function refresh(feed: Feed, servedBy: StoreName, state: StoreState): Promise<void> {
    const scope = feed.spec.scopeNow();
    const marker = `${servedBy}|${watermarkEtag(state.watermark, scope.periodKey)}`;
    if (marker === feed.marker || deps.now() - feed.lastPush < deps.minIntervalMs) return;
    let body: string;
    try {
      body = await feed.spec.readBody(scope);
      deps.onRead?.();
    } catch (error) {
      const gone = error instanceof HttpError;
      if (!gone) deps.logger.warn({ err: error, feed: feed.spec.key }, 'live feed ended by an error');
      forget(feed);
      await broadcast(feed, { event: 'error', data: JSON.stringify({ code: gone ? error.code : 'internal' }) });
      return endFeed(feed, gone ? 'gone' : 'error');
    }
    if (body !== feed.last?.data) {
      feed.last = { event: feed.spec.event, data: body };
      await broadcast(feed, feed.last);
      feed.lastPush = deps.now();
    }
    feed.marker = marker;
  }

  /** Heartbeats to the members silent for heartbeatMs, as one shared message. */
  async function beat(feed: Feed): Promise<void> {
    const now = deps.now();
    const due = [...feed.members].filter((m) => now - m.lastWrite >= deps.heartbeatMs);
    if (due.length > 0) await broadcast(feed, { event: 'heartbeat', data: String(now) }, due);
  }

  /**
   * One pass: the state is read once for all feeds, then each feed not still busy with its last pass
   * refreshes and beats on its own, so a slow read holds up only its feed. While the state cannot
   * be read (both stores down), the feeds keep beating, so clients know the stream is alive.
   */
  async function tick(): Promise<void> {
    for (const feed of [...feeds.values()]) {
      if (feed.members.size === 0) endFeed(feed, 'gone');
    }
    if (stopped || feeds.size === 0) {
      ticking = false;
      return;
    }
    let read: { servedBy: StoreName; state: StoreState } | undefined;
    try {
      read = await deps.readState();
      readFailing = false;
    } catch (error) {
      if (!readFailing) deps.logger.warn({ err: error }, 'live feeds cannot read the projection state; retrying');
      readFailing = true;
    }
    for (const feed of [...feeds.values()]) {
      if (feed.busy) continue;
      feed.busy = true;
      (async () => {
        if (read) await refresh(feed, read.servedBy, read.state);
        await beat(feed);
      })()
        .catch((error) => {
          deps.logger.warn({ err: error, feed: feed.spec.key }, 'live feed ended by an error');
          endFeed(feed, 'error');
        })
        .finally(() => {
          feed.busy = false;
        });
    }
    setTimeout(() => void tick(), deps.pollMs);
  }

  return {
    /** Adds a subscriber to the feed `spec.key` (starting it if needed); returns the unsubscribe. */
    subscribe(spec: FeedSpec, subscriber: FeedSubscriber): () => void {
      if (stopped) {
        queueMicrotask(() => subscriber.end('shutdown'));
        return () => {};
      }
      let feed = feeds.get(spec.key);
      const member: Member = { subscriber, lastWrite: deps.now() };
      if (feed) {
        feed.members.add(member);
        if (feed.last) subscriber.send(feed.last);
      } else {
        feed = {
          spec,
          members: new Set([member]),
          last: undefined,
          marker: '',
          lastPush: Number.NEGATIVE_INFINITY,
          busy: false,
        };
        feeds.set(spec.key, feed);
        deps.onFeeds?.(feeds.size);
      }
      if (!ticking) {
        ticking = true;
        void tick();
      }
      const joined = feed;
      return () => {
        joined.members.delete(member);
      };
    },

    /** Open feeds (distinct publishers). */
    size(): number {
      return feeds.size;
    },

    /** Ends every feed and subscriber (shutdown); later subscribers are ended at once. */
    stop(): void {
      stopped = true;
      for (const feed of [...feeds.values()]) endFeed(feed, 'shutdown');
    },
  };
}

export type FeedHub = ReturnType<typeof createFeedHub>;
