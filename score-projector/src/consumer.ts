import type { Logger } from '@rankstream/schemas/runtime';
import type { Consumer, Kafka } from 'kafkajs';
import type { BatchProcessor } from './batch-processor.js';
import type { ProjectionStore } from './domain/ports.js';

export interface ProjectorConsumer {
  /** Partitions of the events topic this instance owns (undefined before the first assignment). */
  assignedPartitions(): readonly number[] | undefined;
  stop(): Promise<void>;
}

/**
 * The Kafka side: a consumer group over the events topic, one batch per partition fetch. Offsets are
 * resolved and committed to Kafka only after PostgreSQL committed, and on every assignment each
 * partition is moved to PostgreSQL's checkpoint, which is the truth (Kafka's commit can lag it by a
 * batch after a crash, and standard tools still show a meaningful consumer lag).
 */
export async function startConsumer(deps: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  maxBytesPerPartition: number;
  concurrency: number;
  retries: number;
  processor: BatchProcessor;
  postgres: ProjectionStore;
  logger: Logger;
  onAssigned(partitions: readonly number[]): void;
  /** kafkajs gave up for good: the process should exit so its supervisor restarts it. */
  onFatal(error: unknown): void;
}): Promise<ProjectorConsumer> {
  const { topic, logger } = deps;
  let assigned: number[] | undefined;
  const consumer: Consumer = deps.kafka.consumer({
    groupId: deps.groupId,
    sessionTimeout: deps.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(deps.sessionTimeoutMs / 3)),
    maxBytesPerPartition: deps.maxBytesPerPartition,
    maxBytes: deps.maxBytesPerPartition * 4,
    // A failing batch (PostgreSQL or the registry down) is retried with backoff; when the retries run
    // out kafkajs restarts the consumer itself (restartOnFailure), so an outage never ends consumption.
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: deps.retries, restartOnFailure: async () => true },
  });

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const partitions = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    assigned = partitions;
    deps.onAssigned(partitions);
    logger.info({ partitions }, 'partitions assigned');
    void seekToCheckpoints(partitions);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    logger.error({ err: error, restart }, 'consumer crashed');
    if (!restart) deps.onFatal(error);
  });

  async function seekToCheckpoints(partitions: readonly number[]): Promise<void> {
    try {
      const offsets = await deps.postgres.readOffsets();
      for (const partition of partitions) {
        consumer.seek({ topic, partition, offset: String(offsets.get(partition) ?? 0) });
      }
    } catch (error) {
      // Harmless: a fetch from Kafka's offsets is checked against the checkpoint in every batch.
      logger.warn({ err: (error as Error).message }, 'could not seek to the PostgreSQL checkpoints');
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.concurrency,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      const outcome = await deps.processor.process({
        topic: batch.topic,
        partition: batch.partition,
        // kafkajs keeps the requested offset on the batch without typing it.
        fetchedOffset: Number((batch as unknown as { fetchedOffset: string }).fetchedOffset),
        lastOffset: Number(batch.lastOffset()),
        highWatermark: Number(batch.highWatermark),
        messages: batch.messages.map((m) => ({
          offset: Number(m.offset),
          timestamp: Number(m.timestamp),
          key: m.key,
          value: m.value,
        })),
      });
      if (outcome.kind === 'gap') {
        consumer.seek({ topic, partition: batch.partition, offset: String(outcome.seekTo) });
        return;
      }
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });

  return {
    assignedPartitions: () => assigned,
    async stop() {
      // Waits for the batch in progress to finish, then leaves the group.
      await consumer.disconnect();
    },
  };
}
