import { redisKeys } from '@rankstream/schemas';
import type { Admin } from 'kafkajs';
import type pg from 'pg';

export interface CatchUp {
  /** Messages applied to PostgreSQL while waiting (log end minus the checkpoint we started from). */
  messages: number;
  seconds: number;
  messagesPerSecond: number;
}

async function logEnds(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

async function checkpoints(db: pg.Pool | pg.Client, topic: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ partition: number; next_offset: string | number }>(
    'SELECT partition, next_offset FROM projector_offsets WHERE topic = $1',
    [topic],
  );
  return new Map(rows.map((r) => [r.partition, Number(r.next_offset)]));
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * Waits until PostgreSQL's checkpoints reach the current log end of every partition and reports the
 * rate since the call: the projection's throughput when the projector is given a backlog. With
 * `redis`, it also waits for Redis's watermarks (the projection is only complete once both are).
 */
export async function waitForCatchUp(options: {
  admin: Admin;
  db: pg.Pool | pg.Client;
  topic: string;
  redis?: { hgetall(key: string): Promise<Record<string, string>>; exists(key: string): Promise<number> };
  redisPrefix?: string;
  timeoutMs?: number;
  onProgress?: (applied: number, seconds: number) => void;
}): Promise<CatchUp> {
  const started = performance.now();
  const ends = await logEnds(options.admin, options.topic);
  const from = await checkpoints(options.db, options.topic);
  const baseline = [...ends.keys()].reduce((a, p) => a + Math.min(from.get(p) ?? 0, ends.get(p) ?? 0), 0);
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let lastReport = started;
  for (;;) {
    const now = await checkpoints(options.db, options.topic);
    const pgDone = [...ends].every(([p, end]) => (now.get(p) ?? 0) >= end);
    let redisDone = true;
    if (pgDone && options.redis) {
      const wm = await options.redis.hgetall(redisKeys(options.redisPrefix ?? 'rs:').watermarks);
      const ready = (await options.redis.exists(redisKeys(options.redisPrefix ?? 'rs:').ready)) === 1;
      redisDone = ready && [...ends].every(([p, end]) => Number(wm[String(p)] ?? -1) >= end);
    }
    const t = performance.now();
    if (pgDone && redisDone) {
      const messages = sum(ends) - baseline;
      const seconds = (t - started) / 1000;
      return { messages, seconds, messagesPerSecond: messages / seconds };
    }
    if (options.onProgress && t - lastReport >= 2_000) {
      lastReport = t;
      const applied = [...ends.keys()].reduce((a, p) => a + Math.min(now.get(p) ?? 0, ends.get(p) ?? 0), 0) - baseline;
      options.onProgress(applied, (t - started) / 1000);
    }
    if (Date.now() > deadline) throw new Error('the projection did not catch up before the deadline');
    await new Promise((r) => setTimeout(r, 100));
  }
}
