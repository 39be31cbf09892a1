import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import type { z } from 'zod';
import { ADMIN_EVENT_NAME, type AdminEvent, adminEventAvsc, adminEventSchema } from './events/admin-event.js';
import { avroTypeOptions } from './events/avro-long.js';
import { BOARD_EVENT_NAME, type BoardEvent, boardEventAvsc, boardEventSchema } from './events/board-event.js';
import { PROFILE_EVENT_NAME, type ProfileEvent, profileEventAvsc, profileEventSchema } from './events/profile-event.js';
import {
  SCORE_EVENT_NAME,
  type ScoreEvent,
  scoreEventAvsc,
  scoreEventFromRecord,
  scoreEventSchema,
} from './events/score-event.js';
import { type ErrorDetail, issuesToDetails } from './http-error.js';

/**
 * The event kinds share the events topic, so subjects follow Confluent's TopicRecordNameStrategy:
 * "<topic>-<record full name>", e.g. "score-events-dev.rankstream.events.ScoreEvent". Each kind
 * evolves on its own subject under the registry's compatibility rule (BACKWARD by default).
 */
export function subjectFor(topic: string, recordFullName: string): string {
  return `${topic}-${recordFullName}`;
}

export type DecodedEvent =
  | { kind: 'score'; event: ScoreEvent }
  | { kind: 'profile'; event: ProfileEvent }
  | { kind: 'admin'; event: AdminEvent }
  | { kind: 'board'; event: BoardEvent };

export type PoisonReason = 'not_wire_format' | 'unknown_schema' | 'unknown_record' | 'undecodable' | 'invalid_event';

/** A message that can never be decoded: it belongs in the dead-letter topic. */
export class PoisonMessageError extends Error {
  constructor(
    readonly reason: PoisonReason,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export interface EventCodec {
  encodeScore(event: ScoreEvent): Promise<Buffer>;
  encodeProfile(event: ProfileEvent): Promise<Buffer>;
  encodeAdmin(event: AdminEvent): Promise<Buffer>;
  encodeBoard(event: BoardEvent): Promise<Buffer>;
  /** Throws PoisonMessageError for a message that will never decode; other errors are transient. */
  decode(message: Buffer | null): Promise<DecodedEvent>;
  /**
   * Decodes a batch: each message's event, or the PoisonMessageError it would throw, in order. Other
   * errors (the registry unreachable) reject the whole call. Asks the registry only for schema ids it
   * has not seen; the rest is synchronous.
   */
  decodeMany(messages: readonly (Buffer | null)[]): Promise<(DecodedEvent | PoisonMessageError)[]>;
  /** Registers the four schemas now (otherwise on first encode). Returns their ids. */
  register(): Promise<SchemaIds>;
}

export interface SchemaIds {
  score: number;
  profile: number;
  admin: number;
  board: number;
}

interface EventKind {
  kind: DecodedEvent['kind'];
  schema: z.ZodType;
  /** A cheaper check giving what `schema` would, or undefined to let `schema` decide (and explain). */
  fastPath?: (record: Record<string, unknown>) => unknown;
}

const KINDS: Record<string, EventKind> = {
  [SCORE_EVENT_NAME]: { kind: 'score', schema: scoreEventSchema, fastPath: scoreEventFromRecord },
  [PROFILE_EVENT_NAME]: { kind: 'profile', schema: profileEventSchema },
  [ADMIN_EVENT_NAME]: { kind: 'admin', schema: adminEventSchema },
  [BOARD_EVENT_NAME]: { kind: 'board', schema: boardEventSchema },
};

/** What decoding needs of one schema id, once the registry has answered for it. */
interface Reader {
  id: number;
  kind: EventKind;
  type: Type;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export function createEventCodec(options: { registryUrl: string; topic: string }): EventCodec {
  // Exact longs: avsc's built-in long would corrupt values below -2^52 (see events/avro-long.ts).
  const registry = new SchemaRegistry({ host: options.registryUrl }, { [SchemaType.AVRO]: avroTypeOptions });
  let ids: Promise<SchemaIds> | undefined;

  /**
   * Looks the schema up before registering it. @kafkajs/confluent-schema-registry's register()
   * reads the subject's compatibility, registers, then sets the compatibility on a new subject:
   * replicas starting together see a subject a peer has just created as NONE, or fail setting a
   * rule the peer has just set. Either way the peer registered the same schema, so a second look
   * finds it. Looking up first also lets a service restart under a subject an operator moved to FULL.
   */
  async function registerOne(avsc: Record<string, unknown>, fullName: string): Promise<number> {
    const subject = subjectFor(options.topic, fullName);
    const schema = { type: SchemaType.AVRO as const, schema: JSON.stringify(avsc) };
    const known = await lookUp(subject, schema);
    if (known !== undefined) {
      // As register() would: the schema in the client's cache, so that encoding needs no request.
      await registry.getSchema(known);
      return known;
    }
    try {
      return (await registry.register(schema, { subject })).id;
    } catch (error) {
      const raced = await lookUp(subject, schema).catch(() => undefined);
      if (raced === undefined) throw error;
      return raced;
    }
  }

  async function lookUp(
    subject: string,
    schema: { type: SchemaType.AVRO; schema: string },
  ): Promise<number | undefined> {
    try {
      return await registry.getRegistryIdBySchema(subject, schema);
    } catch (error) {
      // The library rewraps the registry's 404 (no such subject or schema) in its base class alone.
      // The library does not export its error classes; each sets `name` to its class name.
      if (error instanceof Error && error.name === 'ConfluentSchemaRegistryError') return undefined;
      throw error;
    }
  }

  function register(): Promise<SchemaIds> {
    ids ??= Promise.all([
      registerOne(scoreEventAvsc, SCORE_EVENT_NAME),
      registerOne(profileEventAvsc, PROFILE_EVENT_NAME),
      registerOne(adminEventAvsc, ADMIN_EVENT_NAME),
      registerOne(boardEventAvsc, BOARD_EVENT_NAME),
    ]).then(([score, profile, admin, board]) => ({ score, profile, admin, board }));
    // A failed registration (registry down) must be retried on the next call, not cached.
    ids.catch(() => {
      ids = undefined;
    });
    return ids;
  }

  /** Per schema id, once the registry knew it; a poison answer (not an event schema) is kept too. */
  const readers = new Map<number, Reader | PoisonMessageError>();

  async function readerFor(id: number): Promise<Reader | PoisonMessageError> {
    const known = readers.get(id);
    if (known !== undefined) return known;
    let type: Type;
    try {
      type = (await registry.getSchema(id)) as Type;
    } catch (error) {
      const status = statusOf(error);
      // Not kept: a schema registered a moment later is a schema like any other.
      if (status === 404 || status === 422) return new PoisonMessageError('unknown_schema', `unknown schema id ${id}`);
      throw error;
    }
    const name = (type as { name?: string }).name;
    const kind = name === undefined ? undefined : KINDS[name];
    const reader =
      kind === undefined
        ? new PoisonMessageError('unknown_record', `schema id ${id} is not a Rankstream event (${name})`)
        : { id, kind, type };
    readers.set(id, reader);
    return reader;
  }

  function schemaIdOf(message: Buffer | null): number | PoisonMessageError {
    if (!message || message.length < 5 || message[0] !== 0) {
      return new PoisonMessageError('not_wire_format', 'not in the Confluent wire format (magic byte + schema id)');
    }
    return message.readInt32BE(1);
  }

  function decodeWith(reader: Reader, message: Buffer): DecodedEvent | PoisonMessageError {
    let record: Record<string, unknown>;
    try {
      record = reader.type.fromBuffer(message.subarray(5)) as Record<string, unknown>;
    } catch (error) {
      return new PoisonMessageError(
        'undecodable',
        `cannot decode with schema id ${reader.id}: ${(error as Error).message}`,
      );
    }
    const { kind } = reader;
    const fast = kind.fastPath?.(record);
    if (fast !== undefined) return { kind: kind.kind, event: fast } as DecodedEvent;
    const parsed = kind.schema.safeParse(record);
    if (!parsed.success) {
      return new PoisonMessageError(
        'invalid_event',
        'the event breaks the contract',
        issuesToDetails(parsed.error.issues),
      );
    }
    return { kind: kind.kind, event: parsed.data } as DecodedEvent;
  }

  async function decodeMany(messages: readonly (Buffer | null)[]): Promise<(DecodedEvent | PoisonMessageError)[]> {
    const ids = messages.map(schemaIdOf);
    const unseen = new Set<number>();
    for (const id of ids) if (typeof id === 'number' && !readers.has(id)) unseen.add(id);
    const fetched = new Map<number, Reader | PoisonMessageError>();
    await Promise.all([...unseen].map(async (id) => fetched.set(id, await readerFor(id))));
    return messages.map((message, i) => {
      const id = ids[i] as number | PoisonMessageError;
      if (typeof id !== 'number') return id;
      const reader = (readers.get(id) ?? fetched.get(id)) as Reader | PoisonMessageError;
      return reader instanceof PoisonMessageError ? reader : decodeWith(reader, message as Buffer);
    });
  }

  async function decode(message: Buffer | null): Promise<DecodedEvent> {
    const [result] = await decodeMany([message]);
    if (result instanceof PoisonMessageError) throw result;
    return result as DecodedEvent;
  }

  return {
    register,
    async encodeScore(event) {
      return registry.encode((await register()).score, event);
    },
    async encodeProfile(event) {
      return registry.encode((await register()).profile, event);
    },
    async encodeAdmin(event) {
      return registry.encode((await register()).admin, event);
    },
    async encodeBoard(event) {
      return registry.encode((await register()).board, event);
    },
    decode,
    decodeMany,
  };
}
