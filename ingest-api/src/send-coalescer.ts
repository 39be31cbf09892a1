/**
 * Coalesces concurrent requests into one send. The idempotent kafkajs producer holds a per-broker
 * lock for a whole produce round trip (one request in flight), so one send per HTTP request caps
 * the API at one request per acks=all round trip. Instead: while a send is in flight, later
 * requests queue; when it settles, everything queued (up to the caps) goes as ONE send.
 *
 * Guarantees, whatever the interleaving:
 * - a request is never split: its items go in one send, contiguous and in their order, so per
 *   partition they get consecutive offsets;
 * - requests go in submission order (FIFO), within a send and across sends;
 * - a request resolves only with its own slice of its send's results, after the send succeeded;
 *   a failed send rejects every request in it (none of them is known to be published);
 * - at most `maxPending` requests are queued or in a send that has not settled; past that, submit
 *   fails at once, so an outage cannot pile requests up in memory.
 *
 * A request whose signal aborts (its deadline) leaves the queue if it was not sent yet; if it was,
 * it is answered at once and still counts as pending until its send settles. Once nobody waits for
 * the send in flight any more, the next one starts without waiting for it (kafkajs queues it behind
 * the lock), so a send stuck in kafkajs' retries does not hold back requests after Kafka recovers.
 */
export interface SendCoalescer<I, R> {
  /** Resolves with one result per item, in order, once the send holding them succeeded. */
  submit(items: readonly I[], signal?: AbortSignal): Promise<R[]>;
  /** Requests queued or in a send that has not settled. */
  pending(): number;
}

/** Too many requests are already waiting for the sink. */
export class CoalescerFullError extends Error {}

export interface SendCoalescerOptions<I, R> {
  /** Sends the items as one unit; answers one result per item, in order. */
  send(items: readonly I[]): Promise<R[]>;
  /** Bytes an item counts for against `maxBytes`. */
  sizeOf(item: I): number;
  /** Caps on one coalesced send. A single request over a cap still goes, alone. */
  maxItems: number;
  maxBytes: number;
  maxPending: number;
  /** When to start a send once idle; default setImmediate (requests arriving in the same turn join). */
  schedule?: (run: () => void) => void;
}

interface Entry<I, R> {
  items: readonly I[];
  bytes: number;
  state: 'queued' | 'sent' | 'answered';
  batch?: Batch<I, R>;
  resolve(results: R[]): void;
  reject(error: unknown): void;
  detach(): void;
}

interface Batch<I, R> {
  entries: Entry<I, R>[];
  /** Entries still waiting for this send's outcome. */
  waiting: number;
}

export function createSendCoalescer<I, R>(options: SendCoalescerOptions<I, R>): SendCoalescer<I, R> {
  const schedule = options.schedule ?? ((run) => setImmediate(run));
  const queue: Entry<I, R>[] = [];
  let inFlight: Batch<I, R> | undefined;
  let scheduled = false;
  let pending = 0;

  function kick() {
    if (scheduled || inFlight || queue.length === 0) return;
    scheduled = true;
    schedule(flush);
  }

  function takeBatch(): Batch<I, R> {
    const entries = [queue.shift()!];
    let items = entries[0]!.items.length;
    let bytes = entries[0]!.bytes;
    // Stop at the first request that does not fit, rather than skipping it: submission order holds.
    while (queue.length > 0) {
      const next = queue[0]!;
      if (items + next.items.length > options.maxItems || bytes + next.bytes > options.maxBytes) break;
      items += next.items.length;
      bytes += next.bytes;
      entries.push(queue.shift()!);
    }
    return { entries, waiting: entries.length };
  }

  function flush() {
    scheduled = false;
    if (inFlight || queue.length === 0) return;
    const batch = takeBatch();
    inFlight = batch;
    const items: I[] = [];
    for (const entry of batch.entries) {
      entry.state = 'sent';
      entry.batch = batch;
      for (const item of entry.items) items.push(item);
    }
    let sending: Promise<R[]>;
    try {
      sending = options.send(items);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending
      .then((results) => {
        if (results.length !== items.length) {
          throw new Error(`the send answered ${results.length} results for ${items.length} items`);
        }
        let at = 0;
        for (const entry of batch.entries) {
          const own = results.slice(at, at + entry.items.length);
          at += entry.items.length;
          answer(entry, () => entry.resolve(own));
        }
      })
      .catch((error) => {
        for (const entry of batch.entries) answer(entry, () => entry.reject(error));
      })
      .finally(() => {
        pending -= batch.entries.length;
        if (inFlight === batch) inFlight = undefined;
        kick();
      });
  }

  function answer(entry: Entry<I, R>, settle: () => void) {
    if (entry.state === 'answered') return;
    entry.state = 'answered';
    entry.detach();
    settle();
  }

  return {
    pending: () => pending,
    submit(items, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (pending >= options.maxPending) {
        return Promise.reject(new CoalescerFullError(`${pending} requests are still waiting for Kafka`));
      }
      if (items.length === 0) return Promise.resolve([]);
      return new Promise<R[]>((resolve, reject) => {
        let bytes = 0;
        for (const item of items) bytes += options.sizeOf(item);
        const onAbort = () => {
          if (entry.state === 'queued') {
            queue.splice(queue.indexOf(entry), 1);
            pending--;
          } else if (entry.state === 'sent') {
            const batch = entry.batch!;
            batch.waiting--;
            // Nobody waits for this send any more: stop holding the next one back for it.
            if (batch.waiting === 0 && inFlight === batch) {
              inFlight = undefined;
              kick();
            }
          }
          answer(entry, () => reject(signal!.reason));
        };
        const entry: Entry<I, R> = {
          items,
          bytes,
          state: 'queued',
          resolve,
          reject,
          detach: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(entry);
        pending++;
        kick();
      });
    },
  };
}
