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

/** One open stream or socket. `send` must not block: a transport that cannot keep up ends itself. */
export interface FeedSubscriber {
  send(message: FeedMessage): void;
  /** The feed ended (an error was sent last, or the hub stopped). */
  end(): void;
}

/** A feed's definition: subscribers with the same key get the same answers. */
export interface FeedSpec {
  key: string;
  event: 'top' | 'rank';
  scopeNow(): Scope;
  /** The answer's JSON at the current state, or undefined when the board is gone. */
  readBody(scope: Scope): Promise<string | undefined>;
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
}

/**
 * One publisher per distinct feed (a board instance's top N, or one user's standing), however many
 * subscribers it has: each feed checks the projection's state every `pollMs`, reads its answer
 * again only when the state moved (or the period rolled over), and sends it to every subscriber
 * when it changed, at least `minIntervalMs` apart. 10,000 subscribers of one board cost one read
 * per change, not 10,000. A subscriber silent for `heartbeatMs` gets a heartbeat.
 */
export function createFeedHub(deps: FeedHubDeps) {
  const feeds = new Map<string, Feed>();
  let stopped = false;

  /**
   * Sends to the subscribers as they were when the message was made, a slice at a time: a socket
   * write costs ~15 µs, so 10,000 in one go would hold the event loop (and every request) ~150 ms.
   */
  async function broadcast(feed: Feed, message: FeedMessage): Promise<void> {
    const members = [...feed.members];
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

  function endFeed(feed: Feed): void {
    feeds.delete(feed.spec.key);
    deps.onFeeds?.(feeds.size);
    for (const m of feed.members) m.subscriber.end();
    feed.members.clear();
  }

  async function run(feed: Feed): Promise<void> {
    let lastMarker = '';
    let lastPush = Number.NEGATIVE_INFINITY;
    while (!stopped && feed.members.size > 0) {
      const scope = feed.spec.scopeNow();
      const { servedBy, state } = await deps.readState();
      const marker = `${servedBy}|${watermarkEtag(state.watermark, scope.periodKey)}`;
      if (marker !== lastMarker && deps.now() - lastPush >= deps.minIntervalMs) {
        const body = await feed.spec.readBody(scope);
        deps.onRead?.();
        if (body === undefined) {
          await broadcast(feed, { event: 'error', data: JSON.stringify({ code: 'board_not_found' }) });
          return endFeed(feed);
        }
        if (body !== feed.last?.data) {
          feed.last = { event: feed.spec.event, data: body };
          await broadcast(feed, feed.last);
          lastPush = deps.now();
        }
        lastMarker = marker;
      }
      const now = deps.now();
      for (const m of feed.members) {
        if (now - m.lastWrite < deps.heartbeatMs) continue;
        m.subscriber.send({ event: 'heartbeat', data: String(now) });
        m.lastWrite = now;
      }
      await new Promise((resolve) => setTimeout(resolve, deps.pollMs));
    }
    if (feeds.get(feed.spec.key) === feed) {
      feeds.delete(feed.spec.key);
      deps.onFeeds?.(feeds.size);
    }
  }

  return {
    /** Adds a subscriber to the feed `spec.key` (starting it if needed); returns the unsubscribe. */
    subscribe(spec: FeedSpec, subscriber: FeedSubscriber): () => void {
      let feed = feeds.get(spec.key);
      const member: Member = { subscriber, lastWrite: deps.now() };
      if (feed) {
        feed.members.add(member);
        if (feed.last) subscriber.send(feed.last);
      } else {
        const created: Feed = { spec, members: new Set([member]), last: undefined };
        feeds.set(spec.key, created);
        deps.onFeeds?.(feeds.size);
        feed = created;
        run(created).catch(async (error) => {
          deps.logger.warn({ err: error, feed: spec.key }, 'live feed ended by an error');
          await broadcast(created, { event: 'error', data: JSON.stringify({ code: 'internal' }) });
          endFeed(created);
        });
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

    /** Ends every feed and subscriber (shutdown). */
    stop(): void {
      stopped = true;
      for (const feed of [...feeds.values()]) endFeed(feed);
    },
  };
}

export type FeedHub = ReturnType<typeof createFeedHub>;
