import type { Producer } from 'kafkajs';
import type { DeadLetter } from '../domain/batch-plan.js';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  messages: ReadonlyMap<number, { key: Buffer | null; value: Buffer | null }>;
}

/**
 * Sends refused messages, byte for byte, to the dead-letter topic with why and where they came from.
 * The send is acknowledged (acks=all) before the batch's transaction commits, so a crash in between
 * can send a message twice but never lose one: the dead-letter topic is at-least-once; consumers of
 * it deduplicate by (original topic, partition, offset).
 */
export function createDeadLetterPublisher(producer: Producer, dlqTopic: string) {
  return {
    async publish(source: DeadLetterSource, letters: readonly DeadLetter[]): Promise<void> {
      if (letters.length === 0) return;
      await producer.send({
        topic: dlqTopic,
        acks: -1,
        messages: letters.map((letter) => {
          const original = source.messages.get(letter.offset);
          return {
            key: original?.key ?? null,
            value: original?.value ?? null,
            headers: {
              reason: letter.reason,
              'original-topic': source.topic,
              'original-partition': String(source.partition),
              'original-offset': String(letter.offset),
              error: JSON.stringify({ message: letter.message, details: letter.details }),
            },
          };
        }),
      });
    },
  };
}

export type DeadLetterPublisher = ReturnType<typeof createDeadLetterPublisher>;
