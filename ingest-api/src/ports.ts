import type {
  AnyEventInput,
  BoardEventInput,
  BoardSchedule,
  ProducedEvent,
  ScheduleChange,
  ScheduleConflict,
} from '@rankstream/schemas';
import type { BoardDefinition, BoardPatch, FixedSetting } from './domain/board-definition.js';
import type { Profile } from './domain/profile-merge.js';

/** Publishes one request's events in array order; resolves only once Kafka acknowledged all (acks=all). */
export interface EventPublisher {
  /** Throws PublishUnavailableError when Kafka is unreachable or slower than the deadline. */
  publish(events: readonly AnyEventInput[]): Promise<ProducedEvent[]>;
}

/** Kafka did not acknowledge in time: the client should retry later with the same eventIds. */
export class PublishUnavailableError extends Error {}

export type BoardPutOutcome =
  | { status: 'created' | 'updated'; definition: BoardDefinition }
  | { status: 'immutable'; field: FixedSetting; definition: BoardDefinition };

export interface BoardStore {
  get(board: string): Promise<BoardDefinition | undefined>;
  /** Creates the board with the defaults unless it exists (whoever sees a board first creates it). */
  createIfMissing(board: string): Promise<BoardDefinition>;
  put(board: string, patch: BoardPatch): Promise<BoardPutOutcome>;
  /**
   * Applies a schedule change to a defined board, one change of a board at a time: refused with the
   * conflict when it does not fit; otherwise recorded as pending, sent with `send` to every
   * partition, and marked logged (an outbox). Pending changes of the board are sent first, so each
   * board's changes reach the log in the order they were accepted. A reset is placed after the
   * board's last one. Undefined: no such board. Throws what `send` throws; the change stays pending.
   */
  changeSchedule(board: string, request: ScheduleRequest, send: BoardEventSender): Promise<ScheduleOutcome | undefined>;
  /** Sends the changes recorded but not yet logged (a crash or an outage cut them short); how many. */
  sendPending(send: BoardEventSender): Promise<number>;
}

/** Logs one board event to every partition; resolves to the consistency token of the copies. */
export type BoardEventSender = (event: BoardEventInput) => Promise<string>;

export interface ScheduleRequest {
  change: ScheduleChange;
  eventId: string;
  actor: string;
  now: number;
}

export type ScheduleOutcome =
  | {
      ok: true;
      definition: BoardDefinition;
      /** The change as logged (a reset's instant may be later than asked), and the schedule before it. */
      change: ScheduleChange;
      before: BoardSchedule;
      /** Undefined: nothing changed (the same season again). */
      token?: string;
    }
  | { ok: false; conflict: ScheduleConflict; definition: BoardDefinition };

export interface ProfileStore {
  /**
   * Runs `step` holding a per-user lock, with the profile this API last recorded for the user. The
   * profile `step` returns as `save` is recorded only if `step` succeeds, so a profile whose event
   * was not published is never recorded, and two requests for one user publish in lock order.
   */
  withUser<T>(
    userId: string,
    step: (current: Profile | undefined) => Promise<{ save?: Profile; result: T }>,
  ): Promise<T>;
}

/** The events log as a whole, for the status page: every producer's events, not only this API's. */
export interface LogStatus {
  /** Messages ever appended to the events topic and to the dead-letter topic (sums of partition ends). */
  read(): Promise<{ eventsInLog: number; deadLettered: number }>;
}

export type Barred = 'banned' | 'erased';

/** The users banned or erased by the log's admin events, as the projector folded them. */
export interface BanList {
  /** Those of `userIds` barred now (a copy at most about a second old, plus this instance's own actions). */
  barred(userIds: readonly string[]): Promise<Map<string, Barred>>;
  /** A ban, unban (null) or erasure this instance published: in force here at once, before the projector folds it. */
  note(userId: string, standing: Barred | null): void;
}

/** A user's erasure was asked for: no key, and no personal data, for them any more. */
export class UserErasedError extends Error {
  constructor(readonly userId: string) {
    super(`user "${userId}" was erased`);
  }
}

/** Each user's key for sealing their personal text (schemas' sealed-text.ts), kept in PostgreSQL. */
export interface UserKeys {
  /** The users' keys, created for those who have none. Throws UserErasedError for an erased user. */
  keysFor(userIds: readonly string[]): Promise<Map<string, Buffer>>;
  /** Deletes the user's key for good and this API's record of their profile. */
  erase(userId: string): Promise<void>;
}

export interface AuditEntry {
  eventId: string;
  action: string;
  userId: string;
  board: string | null;
  periodKey: string | null;
  actor: string;
  reason: string | null;
  occurredAt: number;
  /** Totals a remove_entry deleted. */
  removed: number;
  partition: number;
  offset: number;
}

/** The admin actions the projector folded, newest first. */
export interface AuditLog {
  /** `before`: only actions ordered before (occurredAt, eventId), an eventId of '' meaning all of that ms. */
  list(filter: {
    userId?: string;
    board?: string;
    before?: { occurredAt: number; eventId: string };
    limit: number;
  }): Promise<AuditEntry[]>;
}
