import type { DecodedEvent, ErrorDetail } from '@rankstream/schemas';

/** One Kafka message after decoding: an event, or the reason it can never be applied. */
export type DecodedMessage =
  | { offset: number; timestamp: number; key: string | null; decoded: DecodedEvent }
  | {
      offset: number;
      timestamp: number;
      key: string | null;
      poison: { reason: string; message: string; details: ErrorDetail[] };
    };

export interface DeadLetter {
  offset: number;
  reason: string;
  message: string;
  details: ErrorDetail[];
}

export interface Candidate {
  offset: number;
  /** Kafka's message timestamp (ms): the event's log time, which DEDUP_WINDOW is measured in. */
  timestamp: number;
  decoded: DecodedEvent;
}

export interface BatchPlan {
  /** Messages at or past the checkpoint that go to the dead-letter topic as they are. */
  deadLetters: DeadLetter[];
  /** Events that may apply, in offset order; the ledger (event-ledger.ts) then drops repeated eventIds. */
  candidates: Candidate[];
}

/**
 * Splits a batch (in offset order) against the partition's checkpoint. Messages before `nextOffset`
 * were applied by an earlier transaction (a redelivery, or another instance during a rebalance) and
 * are dropped here, which is what makes redelivery harmless. A key other than the event's userId is
 * refused: one user's events must stay in one partition for log order and single-writer totals.
 * Such an event is not remembered as processed, so a correctly keyed event with its id still counts.
 */
export function planBatch(messages: readonly DecodedMessage[], nextOffset: number): BatchPlan {
  const deadLetters: DeadLetter[] = [];
  const candidates: Candidate[] = [];
  for (const m of messages) {
    if (m.offset < nextOffset) continue;
    if ('poison' in m) {
      deadLetters.push({ offset: m.offset, ...m.poison });
      continue;
    }
    // A board event goes to every partition, keyed by its board; every other event by its user.
    const [field, expected] =
      m.decoded.kind === 'board' ? ['board', m.decoded.event.board] : ['userId', m.decoded.event.userId];
    if (m.key !== expected) {
      deadLetters.push({
        offset: m.offset,
        reason: 'key_mismatch',
        message: `message key ${JSON.stringify(m.key)} is not the event's ${field} ${JSON.stringify(expected)}`,
        details: [{ path: field, message: 'must equal the Kafka message key' }],
      });
      continue;
    }
    candidates.push({ offset: m.offset, timestamp: m.timestamp, decoded: m.decoded });
  }
  return { deadLetters, candidates };
}
