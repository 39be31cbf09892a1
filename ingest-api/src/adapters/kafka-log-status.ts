import { withTimeout } from '@rankstream/schemas/runtime';
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
  /** A read slower than this fails (Kafka down): kafkajs would otherwise retry for many seconds. */
  timeoutMs: number;
  now: () => number;
}): LogStatus {
  type Counts = { eventsInLog: number; deadLettered: number };
  let cached: { at: number; value: Promise<Counts> } | undefined;
  let inFlight: Promise<Counts> | undefined;
  const ends = async (topic: string) =>
    (await o.admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  return {
    read() {
      if (cached && o.now() - cached.at < o.maxAgeMs) return cached.value;
      // One request to Kafka at a time, however many pages poll meanwhile.
      // Settles within a few timeouts even if Kafka never answers, so a later read asks again.
      inFlight ??= withTimeout(Promise.all([ends(o.eventsTopic), ends(o.dlqTopic)]), o.timeoutMs * 5)
        .then(([eventsInLog, deadLettered]) => {
          const value = { eventsInLog, deadLettered };
          cached = { at: o.now(), value: Promise.resolve(value) };
          return value;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return withTimeout(inFlight, o.timeoutMs);
    },
  };
}
