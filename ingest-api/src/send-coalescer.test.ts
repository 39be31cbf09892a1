import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoalescerFullError, createSendCoalescer } from './send-coalescer.js';

interface Item {
  id: string;
  partition: number;
  bytes?: number;
}
interface Landed {
  id: string;
  partition: number;
  offset: number;
}

/**
 * A sink that behaves like a Kafka log: each send's items get consecutive offsets per partition in
 * array order. Each send waits until the test settles it (ok, or fails it).
 */
function fakeLog() {
  const logEnd = new Map<number, number>();
  const sends: { items: Item[]; ok(): void; fail(error: Error): void }[] = [];
  const send = (items: readonly Item[]) =>
    new Promise<Landed[]>((resolve, reject) => {
      sends.push({
        items: [...items],
        ok: () =>
          resolve(
            items.map(({ id, partition }) => {
              const offset = logEnd.get(partition) ?? 0;
              logEnd.set(partition, offset + 1);
              return { id, partition, offset };
            }),
          ),
        fail: reject,
      });
    });
  return { send, sends };
}

/** Starts sends only when the test says so, so that it decides what is queued meanwhile. */
function manualSchedule() {
  const runs: (() => void)[] = [];
  return {
    schedule: (run: () => void) => runs.push(run),
    runAll: () => {
      for (const run of runs.splice(0)) run();
    },
  };
}

const settled = () => new Promise((r) => setTimeout(r, 0));
const ids = (items: readonly Item[]) => items.map((i) => i.id);

function setup(overrides: { maxItems?: number; maxBytes?: number; maxPending?: number } = {}) {
  const log = fakeLog();
  const timing = manualSchedule();
  const coalescer = createSendCoalescer<Item, Landed>({
    send: log.send,
    sizeOf: (i) => i.bytes ?? 1,
    maxItems: overrides.maxItems ?? 100,
    maxBytes: overrides.maxBytes ?? 10_000,
    maxPending: overrides.maxPending ?? 100,
    schedule: timing.schedule,
  });
  return { ...log, ...timing, coalescer };
}

describe('send coalescer', () => {
  it('sends everything queued during a send as one send, in submission order, each request getting its own offsets', async () => {
    const { coalescer, sends, runAll } = setup();
    const a = coalescer.submit([{ id: 'a1', partition: 0 }]);
    runAll();
    expect(sends.map((s) => ids(s.items))).toEqual([['a1']]);

    const b = coalescer.submit([
      { id: 'b1', partition: 0 },
      { id: 'b2', partition: 1 },
      { id: 'b3', partition: 0 },
    ]);
    const c = coalescer.submit([{ id: 'c1', partition: 1 }]);
    const d = coalescer.submit([{ id: 'd1', partition: 0 }]);
    runAll();
    expect(sends).toHaveLength(1); // nothing else starts while a send is in flight
    sends[0]!.ok();
    await expect(a).resolves.toEqual([{ id: 'a1', partition: 0, offset: 0 }]);
    runAll();
    expect(sends.map((s) => ids(s.items))).toEqual([['a1'], ['b1', 'b2', 'b3', 'c1', 'd1']]);
    sends[1]!.ok();
    await expect(b).resolves.toEqual([
      { id: 'b1', partition: 0, offset: 1 },
      { id: 'b2', partition: 1, offset: 0 },
      { id: 'b3', partition: 0, offset: 2 },
    ]);
    await expect(c).resolves.toEqual([{ id: 'c1', partition: 1, offset: 1 }]);
    await expect(d).resolves.toEqual([{ id: 'd1', partition: 0, offset: 3 }]);
    expect(coalescer.pending()).toBe(0);
  });

  it('fails every request of a failed send, and sends the requests queued behind it', async () => {
    const { coalescer, sends, runAll } = setup();
    const a = coalescer.submit([{ id: 'a', partition: 0 }]);
    const b = coalescer.submit([{ id: 'b', partition: 1 }]);
    runAll();
    const c = coalescer.submit([{ id: 'c', partition: 0 }]);
    sends[0]!.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await expect(a).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    await expect(b).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    runAll();
    expect(ids(sends[1]!.items)).toEqual(['c']);
    sends[1]!.ok();
    await expect(c).resolves.toEqual([{ id: 'c', partition: 0, offset: 0 }]);
  });

  it('fails every request of a send that answers the wrong number of results', async () => {
    const coalescer = createSendCoalescer<Item, Landed>({
      send: async () => [{ id: 'x', partition: 0, offset: 0 }],
      sizeOf: () => 1,
      maxItems: 10,
      maxBytes: 10,
      maxPending: 10,
    });
    const a = coalescer.submit([{ id: 'a', partition: 0 }]);
    const b = coalescer.submit([{ id: 'b', partition: 0 }]);
    await expect(a).rejects.toThrow('the send answered 1 results for 2 items');
    await expect(b).rejects.toThrow('the send answered 1 results for 2 items');
  });

  it('caps a send by items and bytes at request boundaries, never splitting a request; an oversized request goes alone', async () => {
    const { coalescer, sends, runAll } = setup({ maxItems: 4, maxBytes: 100 });
    const item = (id: string, bytes = 1) => ({ id, partition: 0, bytes });
    const first = coalescer.submit([item('first')]);
    runAll();
    const requests = [
      coalescer.submit([item('r1a'), item('r1b')]),
      coalescer.submit([item('r2a'), item('r2b')]),
      coalescer.submit([item('r3a')]), // 5 items with the two above: next send
      coalescer.submit([item('r4a', 99)]), // 100 bytes with r3a: fits exactly
      coalescer.submit([item('r5a', 1)]), // 101 bytes: next send
      coalescer.submit(['a', 'b', 'c', 'd', 'e', 'f'].map((x) => item(`big-${x}`))), // alone, whole
      coalescer.submit([item('r7a')]),
    ];
    for (let i = 0; i < 6; i++) {
      sends[i]!.ok();
      await settled();
      runAll();
    }
    expect(sends.map((s) => ids(s.items))).toEqual([
      ['first'],
      ['r1a', 'r1b', 'r2a', 'r2b'],
      ['r3a', 'r4a'],
      ['r5a'],
      ['big-a', 'big-b', 'big-c', 'big-d', 'big-e', 'big-f'],
      ['r7a'],
    ]);
    await first;
    const answered = await Promise.all(requests);
    expect(answered.flat().map((l) => l.offset)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
  });

  it('refuses at once past maxPending, counting requests answered at their deadline until their send settles', async () => {
    const { coalescer, sends, runAll } = setup({ maxPending: 2 });
    const deadline = new AbortController();
    const a = coalescer.submit([{ id: 'a', partition: 0 }], deadline.signal);
    runAll();
    const b = coalescer.submit([{ id: 'b', partition: 0 }]);
    await expect(coalescer.submit([{ id: 'c', partition: 0 }])).rejects.toBeInstanceOf(CoalescerFullError);
    await expect(coalescer.submit([{ id: 'c', partition: 0 }])).rejects.toThrow('2 requests are still waiting');

    deadline.abort(new Error('timed out'));
    await expect(a).rejects.toThrow('timed out');
    expect(coalescer.pending()).toBe(2); // a's send is still running in the producer
    await expect(coalescer.submit([{ id: 'c', partition: 0 }])).rejects.toBeInstanceOf(CoalescerFullError);

    sends[0]!.ok();
    await settled();
    expect(coalescer.pending()).toBe(1);
    runAll();
    sends[1]!.ok();
    await expect(b).resolves.toEqual([{ id: 'b', partition: 0, offset: 1 }]);
    expect(coalescer.pending()).toBe(0);
  });

  it('drops a queued request whose deadline passed: it is never sent', async () => {
    const { coalescer, sends, runAll } = setup();
    const a = coalescer.submit([{ id: 'a', partition: 0 }]);
    runAll();
    const deadline = new AbortController();
    const b = coalescer.submit([{ id: 'b', partition: 0 }], deadline.signal);
    const c = coalescer.submit([{ id: 'c', partition: 0 }]);
    deadline.abort(new Error('timed out'));
    await expect(b).rejects.toThrow('timed out');
    expect(coalescer.pending()).toBe(2);
    sends[0]!.ok();
    await a;
    await settled();
    runAll();
    expect(sends.map((s) => ids(s.items))).toEqual([['a'], ['c']]);
    sends[1]!.ok();
    await expect(c).resolves.toEqual([{ id: 'c', partition: 0, offset: 1 }]);
    await expect(coalescer.submit([{ id: 'late', partition: 0 }], deadline.signal)).rejects.toThrow('timed out');
  });

  it('starts the next send once nobody waits for a stuck one, which still counts as pending', async () => {
    const { coalescer, sends, runAll } = setup();
    const deadline = new AbortController();
    const stuck = coalescer.submit([{ id: 'stuck', partition: 0 }], deadline.signal);
    runAll();
    const next = coalescer.submit([{ id: 'next', partition: 0 }]);
    runAll();
    expect(sends).toHaveLength(1);
    deadline.abort(new Error('timed out'));
    await expect(stuck).rejects.toThrow('timed out');
    runAll();
    expect(sends.map((s) => ids(s.items))).toEqual([['stuck'], ['next']]);
    expect(coalescer.pending()).toBe(2);
    sends[1]!.ok();
    await expect(next).resolves.toEqual([{ id: 'next', partition: 0, offset: 0 }]);
    sends[0]!.ok(); // the abandoned send completes later: nobody is answered twice
    await settled();
    expect(coalescer.pending()).toBe(0);
  });

  it('property: whatever the requests, caps and timing, each request gets its own items at contiguous offsets in order', async () => {
    const request = fc.array(fc.record({ partition: fc.nat(3), bytes: fc.integer({ min: 1, max: 40 }) }), {
      minLength: 1,
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ items: request, settleSendsBefore: fc.nat(2) }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 120 }),
        async (plan, maxItems, maxBytes) => {
          const { coalescer, sends, runAll } = setup({ maxItems, maxBytes, maxPending: 1_000 });
          let settledSends = 0;
          const settleSome = async (n: number) => {
            for (let k = 0; k < n && settledSends < sends.length; k++) sends[settledSends++]!.ok();
            await settled();
            runAll();
          };
          const submitted = [];
          for (const [r, step] of plan.entries()) {
            await settleSome(step.settleSendsBefore);
            const items = step.items.map((it, i) => ({ id: `r${r}-${i}`, ...it }));
            submitted.push({ items, answer: coalescer.submit(items) });
            if (r % 3 === 0) runAll();
          }
          while (settledSends < sends.length || coalescer.pending() > 0) await settleSome(1);
          const answers = await Promise.all(submitted.map((s) => s.answer));

          // Oracle: the log order is the submission order, item by item.
          const expected = new Map<number, number>();
          submitted.forEach(({ items }, r) => {
            expect(answers[r]!.map((l) => l.id)).toEqual(ids(items));
            for (const [i, landed] of answers[r]!.entries()) {
              const offset = expected.get(items[i]!.partition) ?? 0;
              expected.set(items[i]!.partition, offset + 1);
              expect(landed).toEqual({ id: items[i]!.id, partition: items[i]!.partition, offset });
            }
          });
          for (const s of sends) {
            const sentItems = s.items.length;
            const sentBytes = s.items.reduce((sum, i) => sum + (i.bytes ?? 1), 0);
            const single = submitted.some((r) => ids(r.items).join() === ids(s.items).join());
            if (!single) {
              expect(sentItems).toBeLessThanOrEqual(maxItems);
              expect(sentBytes).toBeLessThanOrEqual(maxBytes);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
