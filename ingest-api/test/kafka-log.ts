import { randomBytes } from 'node:crypto';
import { createEventCodec, type DecodedEvent, isSealed, openSealed } from '@rankstream/schemas';
import { testKafka } from '@rankstream/tools/testing';
import type pg from 'pg';

export interface LoggedEvent {
  partition: number;
  offset: number;
  key: string;
  decoded: DecodedEvent;
}

/** Reads the whole topic from the start until `count` messages arrived, decoding through the registry. */
export async function readTopic(options: {
  brokers: string[];
  registryUrl: string;
  topic: string;
  count: number;
  timeoutMs?: number;
}): Promise<LoggedEvent[]> {
  const codec = createEventCodec({ registryUrl: options.registryUrl, topic: options.topic });
  const consumer = testKafka(options.brokers).consumer({ groupId: `ingest-test-${randomBytes(4).toString('hex')}` });
  const raw: { partition: number; offset: number; key: string; value: Buffer | null }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    let done!: () => void;
    const enough = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        raw.push({
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? '',
          value: message.value,
        });
        if (raw.length >= options.count) done();
      },
    });
    const timeout = new Promise<void>((_, reject) =>
      setTimeout(
        () => reject(new Error(`read ${raw.length} of ${options.count} messages`)),
        options.timeoutMs ?? 30_000,
      ).unref(),
    );
    await Promise.race([enough, timeout]);
  } finally {
    await consumer.disconnect();
  }
  raw.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return Promise.all(raw.map(async (m) => ({ ...m, decoded: await codec.decode(m.value) })));
}

/** The sum of the partitions' end offsets: how many messages the topic ever received. */
export async function topicEnd(brokers: string[], topic: string): Promise<number> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The events with their sealed personal text opened with the users' keys from user_keys (as the
 * projector opens them), after checking that every such field was sealed in the log.
 */
export async function openedWithKeys(logged: readonly LoggedEvent[], db: pg.Pool): Promise<LoggedEvent[]> {
  const users = [...new Set(logged.flatMap((m) => (m.decoded.kind === 'board' ? [] : [m.decoded.event.userId])))];
  const { rows } = await db.query<{ user_id: string; key: Buffer }>(
    'SELECT user_id, key FROM user_keys WHERE user_id = ANY($1::text[]) AND key IS NOT NULL',
    [users],
  );
  const keys = new Map(rows.map((r) => [r.user_id, r.key]));
  const open = (userId: string, text: string | null): string | null => {
    if (text === null) return null;
    if (!isSealed(text)) throw new Error(`personal text in the clear in the log: ${text}`);
    const key = keys.get(userId);
    return (key && openSealed(key, userId, text)) ?? text;
  };
  return logged.map((m) => {
    const { decoded } = m;
    if (decoded.kind === 'score') {
      return {
        ...m,
        decoded: {
          ...decoded,
          event: { ...decoded.event, metadata: open(decoded.event.userId, decoded.event.metadata) },
        },
      };
    }
    if (decoded.kind === 'profile') {
      const e = decoded.event;
      const opened = {
        ...e,
        username: open(e.userId, e.username) as string,
        imageUrl: open(e.userId, e.imageUrl),
        region: open(e.userId, e.region),
      };
      return { ...m, decoded: { kind: 'profile', event: opened } };
    }
    return m;
  });
}
