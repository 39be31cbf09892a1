import { randomBytes } from 'node:crypto';
import {
  type AnyEventInput,
  applyScheduleChange,
  type BoardEventInput,
  type BoardSchedule,
  EMPTY_SCHEDULE,
  isSealed,
  openSealed,
  type ProducedEvent,
} from '@rankstream/schemas';
import { createLogger, createMetricsRegistry } from '@rankstream/schemas/runtime';
import type { AppDeps } from '../src/app.js';
import { parseApiKeys, sha256Hex } from '../src/auth/api-keys.js';
import { applyBoardPatch, BOARD_DEFAULTS, type BoardDefinition } from '../src/domain/board-definition.js';
import { createPlayerMinuteCounter } from '../src/domain/player-minute-counter.js';
import type { Profile } from '../src/domain/profile-merge.js';
import { createIngestMetrics } from '../src/metrics.js';
import {
  type AuditEntry,
  type AuditLog,
  type BanList,
  type Barred,
  type BoardEventSender,
  type BoardStore,
  type EventPublisher,
  type ProfileStore,
  PublishUnavailableError,
  type ScheduleRequest,
  UserErasedError,
  type UserKeys,
} from '../src/ports.js';
import { createRateLimiter } from '../src/rate-limiter.js';

/** In-memory stand-ins for the adapters, for unit tests of the HTTP app (app.request(), no I/O). */
export const KEYS = { ingest: 'key-ingest', admin: 'key-admin', both: 'key-both' } as const;
export const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

export class FakePublisher implements EventPublisher {
  readonly batches: AnyEventInput[][] = [];
  unavailable = false;
  private readonly next = new Map<number, number>();
  constructor(private readonly partitions = 3) {}

  async publish(events: readonly AnyEventInput[]): Promise<ProducedEvent[]> {
    if (this.unavailable) throw new PublishUnavailableError('broker down');
    this.batches.push([...events]);
    return events.map((e) => {
      const key = e.kind === 'board' ? e.event.board : e.event.userId;
      const partition = [...key].reduce((h, ch) => h + ch.charCodeAt(0), 0) % this.partitions;
      const offset = this.next.get(partition) ?? 0;
      this.next.set(partition, offset + 1);
      return { eventId: e.event.eventId, partition, offset };
    });
  }

  /** Opens sealed text for `published`; the app seals personal text with the users' keys. */
  keyOf: (userId: string) => Buffer | null | undefined = () => undefined;

  /** What was published, personal text opened again (as the projector reads it). */
  get published(): AnyEventInput[] {
    return this.sealed.map((e) => {
      if (e.kind === 'board' || e.kind === 'admin') return e;
      const open = (text: string | null | undefined) => {
        if (text == null || !isSealed(text)) return text;
        const key = this.keyOf(e.event.userId);
        return key ? openSealed(key, e.event.userId, text) : text;
      };
      if (e.kind === 'score') return { kind: 'score', event: { ...e.event, metadata: open(e.event.metadata) } };
      if (e.kind === 'profile') {
        const { username, imageUrl, region } = e.event;
        return {
          kind: 'profile',
          event: { ...e.event, username: open(username) as string, imageUrl: open(imageUrl), region: open(region) },
        };
      }
      return e;
    });
  }

  /** What was published, as it is in the log. */
  get sealed(): AnyEventInput[] {
    return this.batches.flat();
  }
}

export class FakeBoards implements BoardStore {
  readonly rows = new Map<string, BoardDefinition>();
  async get(board: string) {
    return this.rows.get(board);
  }
  async createIfMissing(board: string) {
    if (!this.rows.has(board))
      this.rows.set(board, { board, ...BOARD_DEFAULTS, schedule: EMPTY_SCHEDULE, createdAt: 1_000 });
    return this.rows.get(board)!;
  }
  async put(board: string, patch: Parameters<BoardStore['put']>[1]) {
    const current = this.rows.get(board);
    const outcome = applyBoardPatch(current, patch);
    if (!outcome.ok) return { status: 'immutable' as const, field: outcome.field, definition: current! };
    const schedule = current?.schedule ?? EMPTY_SCHEDULE;
    const definition = { board, ...outcome.settings, schedule, createdAt: current?.createdAt ?? 2_000 };
    this.rows.set(board, definition);
    return { status: current ? ('updated' as const) : ('created' as const), definition };
  }
  /** Changes recorded and not yet logged, in order (the adapter's outbox). */
  readonly pending: { board: string; event: BoardEventInput; schedule: BoardSchedule }[] = [];
  async changeSchedule(board: string, request: ScheduleRequest, send: BoardEventSender) {
    if (!this.rows.has(board)) return undefined;
    await this.sendPending(send);
    const current = this.rows.get(board)!;
    const before = current.schedule;
    const { change } = request;
    const { schedule, conflict } = applyScheduleChange(before, change);
    if (conflict) return { ok: false as const, conflict, definition: current };
    if (schedule === before) return { ok: true as const, definition: current, change, before };
    const season = change.action === 'season' ? change.season : change.next;
    const event: BoardEventInput = {
      eventId: request.eventId,
      action: change.action,
      board,
      seasonId: season?.seasonId ?? null,
      startsAt: season?.startsAt ?? null,
      endsAt: season?.endsAt ?? null,
      actor: request.actor,
      occurredAt: change.action === 'reset' ? change.at : request.now,
    };
    this.pending.push({ board, event, schedule });
    const token = await send(event);
    this.pending.shift();
    const definition = { ...current, schedule };
    this.rows.set(board, definition);
    return { ok: true as const, definition, change, before, token };
  }
  async sendPending(send: BoardEventSender) {
    let sent = 0;
    while (this.pending[0]) {
      const { board, event, schedule } = this.pending[0];
      await send(event);
      this.pending.shift();
      this.rows.set(board, { ...this.rows.get(board)!, schedule });
      sent++;
    }
    return sent;
  }
}

export class FakeProfiles implements ProfileStore {
  readonly rows = new Map<string, Profile>();
  private readonly locks = new Map<string, Promise<unknown>>();
  async withUser<T>(userId: string, step: (current: Profile | undefined) => Promise<{ save?: Profile; result: T }>) {
    const previous = this.locks.get(userId) ?? Promise.resolve();
    const run = previous
      .catch(() => {})
      .then(async () => {
        const { save, result } = await step(this.rows.get(userId));
        if (save) this.rows.set(userId, save);
        return result;
      });
    this.locks.set(userId, run);
    return run;
  }
}

export class FakeBans implements BanList {
  readonly users = new Map<string, Barred>();
  async barred(userIds: readonly string[]) {
    return new Map(userIds.flatMap((u) => (this.users.has(u) ? [[u, this.users.get(u)!] as const] : [])));
  }
  note(userId: string, standing: Barred | null) {
    if (this.users.get(userId) === 'erased') return;
    if (standing) this.users.set(userId, standing);
    else this.users.delete(userId);
  }
}

export class FakeUserKeys implements UserKeys {
  readonly keys = new Map<string, Buffer | null>();
  async keysFor(userIds: readonly string[]) {
    const found = new Map<string, Buffer>();
    for (const userId of userIds) {
      if (!this.keys.has(userId)) this.keys.set(userId, randomBytes(32));
      const key = this.keys.get(userId);
      if (!key) throw new UserErasedError(userId);
      found.set(userId, key);
    }
    return found;
  }
  async erase(userId: string) {
    this.keys.set(userId, null);
  }
}

export class FakeAudit implements AuditLog {
  readonly entries: AuditEntry[] = [];
  async list(filter: Parameters<AuditLog['list']>[0]) {
    const { before } = filter;
    return this.entries
      .filter((e) => filter.userId === undefined || e.userId === filter.userId)
      .filter((e) => filter.board === undefined || e.board === filter.board)
      .filter(
        (e) =>
          before === undefined ||
          e.occurredAt < before.occurredAt ||
          (e.occurredAt === before.occurredAt && e.eventId < before.eventId),
      )
      .slice(0, filter.limit);
  }
}

export function fakeDeps(overrides: Partial<AppDeps> = {}) {
  const clock = { now: Date.UTC(2026, 10, 23, 12, 0, 0) };
  let id = 0;
  const publisher = new FakePublisher();
  const boards = new FakeBoards();
  const profiles = new FakeProfiles();
  const bans = new FakeBans();
  const userKeys = new FakeUserKeys();
  publisher.keyOf = (userId) => userKeys.keys.get(userId);
  const audit = new FakeAudit();
  const metricsRegistry = createMetricsRegistry('ingest-api-test');
  const deps: AppDeps = {
    publisher,
    boards,
    profiles,
    bans,
    userKeys,
    audit,
    apiKeys: parseApiKeys(
      [
        `ing:${sha256Hex(KEYS.ingest)}:ingest`,
        `adm:${sha256Hex(KEYS.admin)}:admin`,
        `both:${sha256Hex(KEYS.both)}:ingest+admin`,
      ].join(','),
    ),
    rateLimiter: createRateLimiter({ ratePerS: 20_000, now: () => clock.now }),
    playerMinutes: createPlayerMinuteCounter(),
    now: () => clock.now,
    newId: () => `id-${++id}`,
    topic: 'score-events',
    limits: {
      maxBodyBytes: 2 * 1024 * 1024,
      maxClockSkewMs: 5 * 60_000,
      strictBoards: false,
      unavailableRetryAfterS: 5,
    },
    metrics: createIngestMetrics(metricsRegistry),
    metricsRegistry,
    logger: createLogger('ingest-api-test', 'silent'),
    readiness: {},
    ...overrides,
  };
  return { deps, clock, publisher, boards, profiles, bans, userKeys, audit };
}
