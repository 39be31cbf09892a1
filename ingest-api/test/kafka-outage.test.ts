import {
  createTestEnv,
  freePort,
  type ServiceProcess,
  startService,
  startThrowawayKafka,
  type TestEnv,
  type ThrowawayKafka,
} from '@rankstream/tools/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/api-keys.js';
import { type LoggedEvent, readTopic, topicEnd } from './kafka-log.js';

const KEY = 'outage-key';

// The shared Kafka must never be stopped: this test stops and restarts a private broker instead.
let kafka: ThrowawayKafka;
let env: TestEnv;
let api: ServiceProcess;

beforeAll(async () => {
  kafka = await startThrowawayKafka();
  env = await createTestEnv({ name: 'outage' });
  api = await startService(
    'ingest-api',
    {
      ...env.env,
      KAFKA_BROKERS: kafka.brokers.join(','),
      API_KEYS: `t:${sha256Hex(KEY)}:ingest`,
      PRODUCE_DEADLINE_MS: '3000',
      KAFKA_ACK_TIMEOUT_MS: '2000',
    },
    { port: await freePort(), readyTimeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await api?.stop();
  await kafka?.destroy();
  await env?.cleanup();
});

interface Answer {
  events: { eventId: string; partition: number; offset: number }[];
}

const post = (event: object) =>
  fetch(`${api.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });

describe('Kafka outage', () => {
  it('answers 503 with Retry-After while Kafka is down, and recovers without restarting the API', async () => {
    const first = await post({ eventId: 'before', userId: 'u1', value: 1 });
    expect(first.status).toBe(202);
    const pid = api.child.pid;

    await kafka.stop();
    const during = await post({ eventId: 'during', userId: 'u2', value: 2 });
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe('kafka_unavailable');
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);

    await kafka.start();
    // The client's retry: the same eventId until it is accepted.
    const deadline = Date.now() + 90_000;
    let retried = await post({ eventId: 'during', userId: 'u2', value: 2 });
    while (retried.status !== 202 && Date.now() < deadline) {
      await retried.body?.cancel();
      await new Promise((r) => setTimeout(r, 1_000));
      retried = await post({ eventId: 'during', userId: 'u2', value: 2 });
    }
    expect(retried.status).toBe(202);
    const after = await post({ eventId: 'after', userId: 'u3', value: 3 });
    expect(after.status).toBe(202);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    expect(api.child.pid).toBe(pid);
    expect(api.child.exitCode).toBeNull();

    // Each 202 names where its event is. A 503'd send that completes late adds a copy of "during"
    // after the answers, so a read sized by the topic's end a moment earlier can stop short: read
    // again until every answered position is there.
    const answered = [
      ...((await first.json()) as Answer).events,
      ...((await retried.json()) as Answer).events,
      ...((await after.json()) as Answer).events,
    ];
    let log: LoggedEvent[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      log = await readTopic({
        brokers: kafka.brokers,
        registryUrl: env.registryUrl,
        topic: env.eventsTopic,
        count: await topicEnd(kafka.brokers, env.eventsTopic),
      });
      if (answered.every((a) => log.some((m) => m.partition === a.partition && m.offset === a.offset))) break;
    }
    for (const a of answered) {
      const m = log.find((m) => m.partition === a.partition && m.offset === a.offset);
      expect(m?.decoded.event.eventId).toBe(a.eventId);
    }
    const ids = log.map((m) => m.decoded.event.eventId);
    // "during" may be in the log twice: the 503'd send can complete once the broker is back. The
    // projector applies an eventId once, which is why the client retries with the same eventId.
    expect(new Set(ids)).toEqual(new Set(['before', 'during', 'after']));
  });
});
