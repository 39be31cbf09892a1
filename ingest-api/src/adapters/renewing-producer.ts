import type { Logger } from '@rankstream/schemas/runtime';
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/**
 * Why: kafkajs' idempotent producer rolls a partition's sequence numbers back when a produce request
 * fails, and lets the next send take them. If the failed request had in fact been written (a timeout
 * after the broker appended it), the broker sees the next batch's sequence as a duplicate of the
 * written one and acknowledges it WITHOUT writing it when the record counts match: an accepted event
 * would be lost. So a producer instance whose send failed, or is still unresolved past the deadline,
 * is never used again: later sends go to a fresh producer, which gets a new producer id from the
 * broker and so can never collide with the old one's sequences. The old one is disconnected once its
 * last send settles; anything it still writes is a duplicate the projector drops by eventId.
 */
export interface RenewingProducer extends Pick<Producer, 'send'> {
  /** Producers created so far (1 while nothing went wrong). */
  generation(): number;
  disconnect(): Promise<void>;
}

export function createRenewingProducer(options: {
  create: () => Producer;
  /** Past this, an unresolved send retires its producer (the publisher's own deadline). */
  stuckAfterMs: number;
  logger: Logger;
}): RenewingProducer {
  const { create, stuckAfterMs, logger } = options;
  let current: { producer: Producer; connected: Promise<void>; retired: boolean; inFlight: number } | undefined;
  let generation = 0;
  const retiring = new Set<Promise<void>>();

  function fresh() {
    const producer = create();
    generation += 1;
    const slot = { producer, connected: producer.connect(), retired: false, inFlight: 0 };
    // A failed connect retires the slot; the caller's send reports the error.
    slot.connected.catch(() => retire(slot, 'connect failed'));
    return slot;
  }

  function retire(slot: NonNullable<typeof current>, why: string): void {
    if (slot.retired) return;
    slot.retired = true;
    if (current === slot) current = undefined;
    logger.warn({ why, generation }, 'retiring the Kafka producer; the next send uses a fresh one');
    maybeDisconnect(slot);
  }

  function maybeDisconnect(slot: NonNullable<typeof current>): void {
    if (!slot.retired || slot.inFlight > 0) return;
    const done = slot.producer
      .disconnect()
      .catch(() => {})
      .finally(() => retiring.delete(done));
    retiring.add(done);
  }

  return {
    generation: () => generation,
    async send(record: ProducerRecord): Promise<RecordMetadata[]> {
      current ??= fresh();
      const slot = current;
      slot.inFlight += 1;
      const stuck = setTimeout(() => retire(slot, `a send unresolved after ${stuckAfterMs} ms`), stuckAfterMs);
      try {
        await slot.connected;
        return await slot.producer.send(record);
      } catch (error) {
        retire(slot, `a send failed: ${(error as Error).message}`);
        throw error;
      } finally {
        clearTimeout(stuck);
        slot.inFlight -= 1;
        maybeDisconnect(slot);
      }
    },
    async disconnect() {
      const slot = current;
      current = undefined;
      if (slot) {
        slot.retired = true;
        await slot.producer.disconnect().catch(() => {});
      }
      await Promise.all(retiring);
    },
  };
}
