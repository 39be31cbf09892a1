import type { Admin } from 'kafkajs';
import type { LogStatus } from '../ports.js';

/**
 * The ends of the events and dead-letter topics, from Kafka's admin API. Kept `maxAgeMs`, so that
 * any number of status pages polling cost Kafka one request per topic per interval.
 */
export function createKafkaLogStatus(o: {
  admin: Admin;
  eventsTopic: string;
  dlqTopic: string;
  maxAgeMs: number;
  now: () => number;
}): LogStatus {
  let cached: { at: number; value: Promise<{ eventsInLog: number; deadLettered: number }> } | undefined;
  const ends = async (topic: string) =>
    (await o.admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  return {
    read() {
      if (cached && o.now() - cached.at < o.maxAgeMs) return cached.value;
      const value = Promise.all([ends(o.eventsTopic), ends(o.dlqTopic)]).then(([eventsInLog, deadLettered]) => ({
        eventsInLog,
        deadLettered,
      }));
      cached = { at: o.now(), value };
      // A failed read is not kept: the next poll asks Kafka again.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      return value;
    },
  };
}
