import { testKafka } from '@rankstream/tools/testing';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { type ProjectorWorld, sleep } from './projector-world.js';

/** The dead-letter topic's messages, once `count` arrived (or 30 s passed), and half a second more. */
export async function readDeadLetters(world: ProjectorWorld, count: number): Promise<KafkaMessage[]> {
  const consumer = testKafka(world.env.kafkaBrokers).consumer({ groupId: `dlq-reader-${world.env.id}-${Date.now()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [world.env.dlqTopic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
    },
  });
  const deadline = Date.now() + 30_000;
  while (messages.length < count && Date.now() < deadline) await sleep(200);
  await sleep(500); // anything beyond the expected count would show up too
  await consumer.disconnect();
  return messages;
}

export const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();
