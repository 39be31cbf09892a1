import type { Admin, ITopicConfig } from 'kafkajs';

export interface TopicPlan {
  eventsTopic: string;
  dlqTopic: string;
  partitions: number;
  replicationFactor?: number;
  /**
   * Keep the producers' timestamps (CreateTime) instead of the broker's append time: only for tests
   * that must place events in log time.
   */
  producerTimestamps?: boolean;
}

/**
 * Creates the events and dead-letter topics with explicit settings if they are missing. The events
 * log is the system of record, so it is kept forever; a topic that already exists is left as it is
 * (its partition count decides where users live and must never change under running data). Its
 * messages carry the broker's append time (LogAppendTime): the projector's DEDUP_WINDOW is measured
 * in it, and no producer's clock or explicit timestamp can move it.
 */
export async function ensureTopics(admin: Admin, plan: TopicPlan): Promise<void> {
  const keepForever = [
    { name: 'retention.ms', value: '-1' },
    { name: 'retention.bytes', value: '-1' },
    { name: 'cleanup.policy', value: 'delete' },
  ];
  const replicationFactor = plan.replicationFactor ?? -1;
  const wanted: ITopicConfig[] = [
    {
      topic: plan.eventsTopic,
      numPartitions: plan.partitions,
      replicationFactor,
      configEntries: [
        ...keepForever,
        { name: 'message.timestamp.type', value: plan.producerTimestamps ? 'CreateTime' : 'LogAppendTime' },
      ],
    },
    { topic: plan.dlqTopic, numPartitions: 1, replicationFactor, configEntries: keepForever },
  ];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
  } catch (error) {
    // Another process may have created them between the list and the create.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  }
  await waitForLeaders(
    admin,
    missing.map((t) => t.topic),
  );
}

const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Until every partition of the new topics has a leader. kafkajs's own wait (`waitForLeaders`) gives
 * up on the first broker that has not heard of the topic yet, which in a cluster of several brokers
 * is the common case for a moment after the create.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (!NOT_YET.has((error as { type?: string }).type ?? '')) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no leader for every partition of ${topics.join(', ')} in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
