import { randomBytes } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  createEventCodec,
  PROFILE_EVENT_NAME,
  SCORE_EVENT_NAME,
  scoreEventAvsc,
  subjectFor,
} from '@rankstream/schemas';
import { baseServiceUrls } from '@rankstream/tools/testing';
import { describe, expect, it } from 'vitest';

const { registryUrl } = baseServiceUrls();

describe('schema evolution on the real registry', () => {
  it('decodes an event a newer producer wrote with an extra optional field, and refuses an incompatible schema', async () => {
    const topic = `evolution-${randomBytes(4).toString('hex')}`;
    const codec = createEventCodec({ registryUrl, topic });
    await codec.register();
    const subject = subjectFor(topic, SCORE_EVENT_NAME);
    const config = await (await fetch(`${registryUrl}/config/${subject}`)).json();
    expect(config).toMatchObject({ compatibilityLevel: 'BACKWARD' });

    const fields = (scoreEventAvsc as { fields: object[] }).fields;
    const v2 = { ...scoreEventAvsc, fields: [...fields, { name: 'combo', type: ['null', 'int'], default: null }] };
    const registry = new SchemaRegistry({ host: registryUrl });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject });
    const written = await registry.encode(id, {
      eventId: 'e-v2',
      userId: 'u',
      board: 'global',
      op: 'add',
      value: 3,
      occurredAt: 1_700_000_000_000,
      periods: [],
      source: null,
      metadata: null,
      limits: null,
      calendar: null,
      tiebreaks: [],
      combo: 7,
    });
    expect(await codec.decode(written)).toEqual({
      kind: 'score',
      event: {
        eventId: 'e-v2',
        userId: 'u',
        board: 'global',
        op: 'add',
        value: 3,
        occurredAt: 1_700_000_000_000,
        periods: [],
        source: null,
        metadata: null,
        limits: null,
        calendar: null,
        tiebreaks: [],
        region: null,
      },
    });

    // A new required field breaks BACKWARD compatibility: the registry refuses it.
    const breaking = { ...scoreEventAvsc, fields: [...fields, { name: 'level', type: 'int' }] };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(breaking) }, { subject }),
    ).rejects.toMatchObject({ status: 409 });

    await deleteSubjects(topic);
  });

  it('lets instances that start together register the same schemas, each getting the same ids', async () => {
    const topic = `evolution-${randomBytes(4).toString('hex')}`;
    const codecs = Array.from({ length: 8 }, () => createEventCodec({ registryUrl, topic }));
    const ids = await Promise.all(codecs.map((codec) => codec.register()));
    expect(new Set(ids.map((id) => `${id.score}/${id.profile}`)).size).toBe(1);
    await deleteSubjects(topic);
  });

  it('starts under a subject whose compatibility an operator changed, the schema already registered', async () => {
    const topic = `evolution-${randomBytes(4).toString('hex')}`;
    const first = await createEventCodec({ registryUrl, topic }).register();
    const subject = subjectFor(topic, SCORE_EVENT_NAME);
    const put = await fetch(`${registryUrl}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'FULL' }),
    });
    expect(put.ok).toBe(true);
    expect(await createEventCodec({ registryUrl, topic }).register()).toEqual(first);
    await deleteSubjects(topic);
  });
});

async function deleteSubjects(topic: string): Promise<void> {
  for (const s of [subjectFor(topic, SCORE_EVENT_NAME), subjectFor(topic, PROFILE_EVENT_NAME)]) {
    await fetch(`${registryUrl}/subjects/${s}`, { method: 'DELETE' });
  }
}
