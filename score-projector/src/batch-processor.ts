import {
  type AdminEvent,
  type BoardSchedule,
  type DecodedEvent,
  type EventCodec,
  globalKeyOf,
  PoisonMessageError,
  type RankOrder,
  type ScoreEvent,
} from '@rankstream/schemas';
import type { Logger } from '@rankstream/schemas/runtime';
import type { DeadLetterPublisher } from './adapters/kafka-dead-letters.js';
import type { RedisStore } from './adapters/redis-store.js';
import type { RegistryProbe } from './adapters/registry-probe.js';
import {
  type BatchFold,
  createPeriodKeyCache,
  foldBatch,
  MINUTE_MS,
  minuteCountKey,
  type PeriodKeysOf,
  type ProfileRow,
  type Standing,
  type StoredTotal,
  type TotalId,
  totalKeyOf,
  touchedTotals,
} from './domain/batch-fold.js';
import {
  type BatchPlan,
  type Candidate,
  type DeadLetter,
  type DecodedMessage,
  planBatch,
} from './domain/batch-plan.js';
import { type ScheduledBatch, type SeasonRefusal, scheduleBatch } from './domain/board-schedules.js';
import { type PlayerRegion, regionalKeys, regionsAhead } from './domain/player-regions.js';
import {
  type BatchWrite,
  type BoardDefinition,
  type InstanceCount,
  type PartitionTransaction,
  type ProjectionStore,
  TotalsConflictError,
} from './domain/ports.js';
import { rankBucketDeltas } from './domain/rank-bucket-deltas.js';
import { openSealedEvents, sealedEventUsers } from './domain/sealed-events.js';
import type { EventLedger, LedgerDecision } from './event-ledger.js';
import type { LogEnds } from './log-ends.js';
import type { ProjectorMetrics } from './projector-metrics.js';
import type { TotalsCache } from './totals-cache.js';

export interface IncomingMessage {
  offset: number;
  /** Kafka's message timestamp (ms). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** One partition's fetch, as the consumer hands it over (kafkajs-independent, so tools can drive it too). */
export interface IncomingBatch {
  topic: string;
  partition: number;
  /** The offset the fetch asked for; messages start there or later (control records are filtered). */
  fetchedOffset: number;
  /** The last offset the fetch covered, filtered records included. */
  lastOffset: number;
  highWatermark: number;
  messages: readonly IncomingMessage[];
}

export type BatchOutcome =
  | { kind: 'committed'; nextOffset: number; applied: number }
  /** The fetch started past the checkpoint (Kafka's offsets are ahead of PostgreSQL's): seek back. */
  | { kind: 'gap'; seekTo: number };

/** What the batch path needs to know about Redis health (see redis-sync.ts). */
export interface RedisProjectionState {
  batchStarted(partition: number): void;
  batchEnded(partition: number): void;
  writeFailed(error: unknown): void;
  /** Called with the checkpoint found by the first batch of a partition after an assignment. */
  verifyWatermark(partition: number, checkpoint: number): Promise<void>;
  /** True while Redis lacks committed data that only a rebuild will bring back. */
  rebuildPending(): boolean;
  /** A partition's log was replaced: Redis's watermarks describe a log that is gone. */
  logRestarted(): void;
}

export interface BatchProcessorDeps {
  codec: EventCodec;
  registry: RegistryProbe;
  store: ProjectionStore;
  redis: RedisStore;
  redisState: RedisProjectionState;
  deadLetters: DeadLetterPublisher;
  totalsCache: TotalsCache;
  ledger: EventLedger;
  logEnds: LogEnds;
  /**
   * The partition's log start and end offsets as Kafka answers now; asked only when a fetch starts
   * past the checkpoint or its high watermark is below it.
   */
  logOffsets(partition: number): Promise<{ start: number; end: number }>;
  metrics: ProjectorMetrics;
  logger: Logger;
}

const CONFLICT_ATTEMPTS = 8;

/** The (board, user, minute) keys of the score events stamped with maxEventsPerMinute. */
function minuteKeys(events: readonly Candidate[]): { board: string; userId: string; minute: number }[] {
  const keys = new Map<string, { board: string; userId: string; minute: number }>();
  for (const { decoded, timestamp } of events) {
    if (decoded.kind !== 'score' || decoded.event.limits?.maxEventsPerMinute == null) continue;
    const { board, userId } = decoded.event;
    const minute = Math.floor(timestamp / MINUTE_MS);
    keys.set(minuteCountKey(board, userId, minute), { board, userId, minute });
  }
  return [...keys.values()];
}

/** What a committed transaction leaves for the steps after COMMIT. */
interface Committed {
  kind: 'committed';
  logRestarted: boolean;
  checkpoint: number;
  nextOffset: number;
  fold: BatchFold;
  profiles: ProfileRow[];
  counts: InstanceCount[];
  newBoards: BoardDefinition[];
  letters: DeadLetter[];
  redelivered: number;
  duplicates: number;
  cachedTotals: number;
  ledgerCommitted(): void;
  standings: { checkpoint: number; users: ReadonlyMap<string, Standing> };
  schedules: { checkpoint: number; boards: ReadonlyMap<string, BoardSchedule> };
  regions: { checkpoint: number; users: ReadonlyMap<string, PlayerRegion> };
  /** Profile events whose sealed fields could not be opened (their user's key is gone). */
  unreadable: number;
}

/** A batch's events that may apply, and what deciding that found (see admit()). */
interface Admitted {
  plan: BatchPlan;
  seen: LedgerDecision;
  /** Profile events whose sealed fields could not be opened (their user's key is gone). */
  unreadable: number;
  events: Candidate[];
  keysOf: PeriodKeysOf;
  /** Events the boards' schedules refused. */
  refused: SeasonRefusal[];
  boardChanges: ScheduledBatch['changes'];
  schedules: ReadonlyMap<string, BoardSchedule>;
  scoreEvents: ScoreEvent[];
  adminEvents: AdminEvent[];
}

/** What the fold starts from (see loadFoldState()). */
interface FoldState {
  boards: BatchBoards;
  current: Map<string, StoredTotal>;
  /** How many of `current` came from the totals cache. */
  cachedTotals: number;
  standings: ReadonlyMap<string, Standing>;
  regions: ReadonlyMap<string, PlayerRegion>;
  minutes: { counts: ReadonlyMap<string, number>; mark: number } | undefined;
}

/** The boards' orders a transaction knows (see batchBoards()). */
interface BatchBoards {
  orders: Map<string, RankOrder>;
  tieOrders: Map<string, RankOrder[]>;
  /** Definitions read by this transaction: cached and mirrored to Redis after COMMIT. */
  created: BoardDefinition[];
  ensure(names: Iterable<string>): Promise<void>;
}

/** The batch's dead letters, in offset order: messages refused by the plan, the schedules or the fold. */
function refusalLetters(planned: readonly DeadLetter[], refused: readonly SeasonRefusal[], fold: BatchFold) {
  return [
    ...planned,
    ...fold.overflowed.map((c) => ({
      offset: c.offset,
      reason: 'overflow',
      message: 'a total would leave ±(2^53−1); the event was applied to none of its totals',
      details: [{ path: 'value', message: 'the result is out of range' }],
    })),
    ...[...refused, ...fold.refused].map((r) => ({
      offset: r.candidate.offset,
      reason: r.reason,
      message: r.message,
      details: [{ path: r.path, message: r.message }],
    })),
  ].sort((a, b) => a.offset - b.offset);
}

/**
 * Applies one batch in four steps: decode; one PostgreSQL transaction under the partition's
 * checkpoint lock (plan against the checkpoint, drop what the ledger has seen, fold, dead-letter, and
 * write it all with the checkpoint in one statement); the caches and metrics after COMMIT; then the
 * committed absolute values to Redis. Throwing before COMMIT leaves PostgreSQL untouched and the
 * batch is fetched again.
 */
export function createBatchProcessor(deps: BatchProcessorDeps) {
  const { codec, store, redis, redisState, deadLetters, totalsCache, ledger, logEnds, metrics, logger } = deps;
  // A board's order never changes after creation, so it may be cached for good.
  const orders = new Map<string, RankOrder>();
  /** The tie-break column orders of the boards that have columns. */
  const tieOrders = new Map<string, RankOrder[]>();
  /**
   * Each partition's banned and erased users, tagged like the totals cache with the checkpoint they
   * describe: a user's admin and score events share the user's partition, so the map a partition's
   * own batches leave is exact for its next batch; any other checkpoint means someone else moved it,
   * and the map is read again under the partition's lock.
   */
  const standings = new Map<number, { checkpoint: number; users: ReadonlyMap<string, Standing> }>();
  /** Each partition's board schedules, tagged and trusted like `standings`: only its own log changes them. */
  const schedules = new Map<number, { checkpoint: number; boards: ReadonlyMap<string, BoardSchedule> }>();
  /** Each partition's players with a region, tagged and trusted like `standings`. */
  const regions = new Map<number, { checkpoint: number; users: ReadonlyMap<string, PlayerRegion> }>();

  async function decodeAll(messages: readonly IncomingMessage[]): Promise<DecodedMessage[]> {
    // Anything but a poison message (registry unreachable) rejects: the batch is retried whole.
    const results = await codec.decodeMany(messages.map((m) => m.value));
    let registryKnowsEvents: boolean | undefined;
    const decoded: DecodedMessage[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as IncomingMessage;
      const result = results[i] as DecodedEvent | PoisonMessageError;
      const key = m.key === null ? null : m.key.toString('utf8');
      if (!(result instanceof PoisonMessageError)) {
        decoded[i] = { offset: m.offset, timestamp: m.timestamp, key, decoded: result };
        continue;
      }
      if (result.reason === 'unknown_schema') {
        registryKnowsEvents ??= await deps.registry.knowsEventSubjects();
        if (!registryKnowsEvents) {
          throw new Error(`${result.message}, and the registry does not know the events subjects: not dead-lettering`);
        }
      }
      decoded[i] = {
        offset: m.offset,
        timestamp: m.timestamp,
        key,
        poison: { reason: result.reason, message: result.message, details: result.details },
      };
    }
    return decoded;
  }

  /**
   * Runs the batch's transaction again, over totals reloaded from PostgreSQL, when it lost a race
   * for a total to another partition's batch (a compare-and-set miss, or a deadlock between the two
   * transactions). Only a user whose events arrive on several partitions causes either.
   */
  async function retryingConflicts<T>(partition: number, transaction: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await transaction();
      } catch (error) {
        const deadlock = (error as { code?: string }).code === '40P01';
        if (!(error instanceof TotalsConflictError) && !deadlock) throw error;
        totalsCache.forget(partition);
        metrics.totalsConflicts.inc();
        if (attempt >= CONFLICT_ATTEMPTS) throw error;
        logger.info({ partition, attempt, err: (error as Error).message }, 'totals conflict; folding the batch again');
        // Jittered, so that two batches that keep colliding stop doing it in step.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Where this batch starts applying. A log that ends before the checkpoint is not the log the
   * checkpoint counts: the topic was deleted and created again, or truncated. Its offsets say nothing
   * about what was applied, so it is projected from its start and the eventId ledger alone keeps each
   * event to one application, old log or new. (Skipping to the old checkpoint would silently drop
   * every accepted event below it.) A fetch older than the checkpoint can also come from an instance
   * that lost the partition while another moved it on, so Kafka is asked where the log ends now.
   */
  async function startingPoint(
    batch: IncomingBatch,
    stored: number,
  ): Promise<{ kind: 'gap'; seekTo: number } | { kind: 'start'; checkpoint: number; logRestarted: boolean }> {
    const { partition } = batch;
    let log: { start: number; end: number } | undefined;
    const logNow = async () => (log ??= await deps.logOffsets(partition));
    let logRestarted = false;
    let checkpoint = stored;
    if (batch.highWatermark < stored) {
      const { start, end } = await logNow();
      if (end < stored) {
        logRestarted = true;
        checkpoint = start;
        logger.warn(
          { partition, checkpoint: stored, logEnd: end, logStart: start },
          'the log ends before the checkpoint (topic recreated or truncated): projecting it again from its start',
        );
      }
    }
    if (batch.fetchedOffset > checkpoint) {
      const logStart = (await logNow()).start;
      if (batch.fetchedOffset > logStart) return { kind: 'gap', seekTo: checkpoint };
      logger.warn({ partition, checkpoint, logStart }, 'events before the log start are gone; continuing from it');
    }
    return { kind: 'start', checkpoint, logRestarted };
  }

  /**
   * One PostgreSQL transaction under the partition's checkpoint lock, in named steps: admit the
   * batch's new events, load what the fold starts from, fold, dead-letter what the fold refused, and
   * write it all with the checkpoint.
   */
  async function transaction(
    tx: PartitionTransaction,
    batch: IncomingBatch,
    decoded: readonly DecodedMessage[],
  ): Promise<Committed | { kind: 'gap'; seekTo: number }> {
    const { partition } = batch;
    const start = await startingPoint(batch, tx.nextOffset);
    if (start.kind === 'gap') return start;
    const { checkpoint, logRestarted } = start;

    const admitted = await admit(tx, partition, decoded, checkpoint);
    const state = await loadFoldState(tx, partition, checkpoint, admitted);
    const { boards } = state;
    const fold = foldBatch({
      events: admitted.events,
      current: state.current,
      orders: boards.orders,
      tieOrders: boards.tieOrders,
      keysOf: admitted.keysOf,
      standings: state.standings,
      regions: state.regions,
      ...(state.minutes ? { minuteCounts: state.minutes.counts, minuteMark: state.minutes.mark } : {}),
    });
    // A removed total's board may be one no score event of this process named yet: its order is
    // needed for the rank bucket the total leaves.
    await boards.ensure(fold.removed.map((r) => r.board));

    const letters = refusalLetters(admitted.plan.deadLetters, admitted.refused, fold);
    // Acknowledged before COMMIT: a crash between the two re-sends, it never loses (at-least-once).
    if (letters.length > 0) {
      const byOffset = new Map(batch.messages.map((m) => [m.offset, m]));
      await deadLetters.publish({ topic: batch.topic, partition, messages: byOffset }, letters);
    }

    const nextOffset = Math.max(checkpoint, batch.lastOffset + 1);
    if (logRestarted) logEnds.restart(partition);
    const logEnd = logEnds.latest(partition, batch.highWatermark);
    const { profiles, counts } = await writeFold(tx, admitted, state, fold, boards.orders, {
      nextOffset,
      logEndOffset: logEnd,
      caughtUp: nextOffset >= logEnd,
      logRestarted,
    });

    return {
      kind: 'committed',
      logRestarted,
      checkpoint,
      nextOffset,
      fold,
      profiles,
      counts,
      newBoards: boards.created,
      letters,
      redelivered: batch.messages.filter((m) => m.offset < checkpoint).length,
      duplicates: admitted.plan.candidates.length - admitted.seen.fresh.length,
      cachedTotals: state.cachedTotals,
      ledgerCommitted: admitted.seen.committed,
      standings: { checkpoint: nextOffset, users: fold.standings },
      schedules: { checkpoint: nextOffset, boards: admitted.schedules },
      regions: { checkpoint: nextOffset, users: fold.regions },
      unreadable: admitted.unreadable,
    };
  }

  /**
   * The batch's events that may apply: those past the checkpoint, correctly keyed, not seen by the
   * ledger, with their sealed fields opened, and let through by their boards' schedules.
   */
  async function admit(
    tx: PartitionTransaction,
    partition: number,
    decoded: readonly DecodedMessage[],
    checkpoint: number,
  ): Promise<Admitted> {
    const plan = planBatch(decoded, checkpoint);
    await ledger.sync(tx);
    const legacy = await tx.legacyProcessed(plan.candidates.map((c) => c.decoded.event.eventId));
    const seen = ledger.decide(plan.candidates, legacy);
    // Most batches hold no sealed text: they keep their events as they are, and ask for no keys.
    const sealedUsers = sealedEventUsers(seen.fresh);
    const opened =
      sealedUsers.length === 0
        ? { events: seen.fresh, unreadable: 0 }
        : openSealedEvents(seen.fresh, await tx.userKeys(sealedUsers));
    let partitionSchedules = schedules.get(partition);
    if (partitionSchedules?.checkpoint !== tx.nextOffset) {
      partitionSchedules = { checkpoint: tx.nextOffset, boards: await tx.boardSchedules() };
    }
    // One period-key memo for the schedule walk, the load and the fold.
    const scheduled = scheduleBatch(opened.events, partitionSchedules.boards, createPeriodKeyCache());
    const { events } = scheduled;
    return {
      plan,
      seen,
      unreadable: opened.unreadable,
      events,
      keysOf: scheduled.keysOf,
      refused: scheduled.refused,
      boardChanges: scheduled.changes,
      schedules: scheduled.schedules,
      scoreEvents: events.flatMap((c) => (c.decoded.kind === 'score' ? [c.decoded.event] : [])),
      adminEvents: events.flatMap((c) => (c.decoded.kind === 'admin' ? [c.decoded.event] : [])),
    };
  }

  /**
   * The boards' orders as this transaction knows them: the process's, plus the boards it creates,
   * which are cached only after COMMIT (a rolled-back transaction may not have created them).
   */
  function batchBoards(tx: PartitionTransaction): BatchBoards {
    const batchOrders = new Map(orders);
    const batchTieOrders = new Map(tieOrders);
    const created: BoardDefinition[] = [];
    return {
      orders: batchOrders,
      tieOrders: batchTieOrders,
      created,
      /** Creates the boards not known yet and learns their orders. */
      async ensure(names: Iterable<string>): Promise<void> {
        const unknown = [...new Set(names)].filter((b) => !batchOrders.has(b));
        for (const board of await tx.ensureBoards(unknown)) {
          batchOrders.set(board.board, board.order);
          if (board.tiebreaks.length > 0)
            batchTieOrders.set(
              board.board,
              board.tiebreaks.map((c) => c.order),
            );
          created.push(board);
        }
      },
    };
  }

  /**
   * What the fold starts from: the boards' orders, every stored total the events touch (from the
   * totals cache, or read), the partition's banned users, players' regions and minute counts.
   */
  async function loadFoldState(
    tx: PartitionTransaction,
    partition: number,
    checkpoint: number,
    admitted: Admitted,
  ): Promise<FoldState> {
    const { events, keysOf, scoreEvents, adminEvents } = admitted;
    let barred = standings.get(partition);
    if (barred?.checkpoint !== tx.nextOffset) barred = { checkpoint: tx.nextOffset, users: await tx.standings() };
    // Taken after that read: another partition's COMMIT meanwhile may have taught this process boards.
    const boards = batchBoards(tx);
    await boards.ensure(scoreEvents.map((e) => e.board));

    let partitionRegions = regions.get(partition);
    if (partitionRegions?.checkpoint !== tx.nextOffset) {
      partitionRegions = { checkpoint: tx.nextOffset, users: await tx.regions() };
    }
    const ahead = regionsAhead(events, partitionRegions.users);
    const touched = touchedTotals(scoreEvents, keysOf);
    const touch = (id: TotalId) => touched.set(totalKeyOf(id.board, id.periodKey, id.userId), id);
    for (const [event, region] of ahead.regionOf) {
      for (const periodKey of regionalKeys(keysOf(event), region)) {
        touch({ board: event.board, periodKey, userId: event.userId });
      }
    }
    for (const id of await removalTargets(tx, adminEvents)) touch(id);
    // A player whose region changes takes every entry of theirs, details included, to the new views.
    const moverIds = ahead.movers.size === 0 ? [] : await everyTotalOf(tx, ahead.movers);
    for (const id of moverIds) touch(id);
    const { known: current, missing } = totalsCache.lookup(partition, checkpoint, touched, tx.nextOffset === 0);
    if (moverIds.length > 0) {
      // Read again with their details, which a move copies along.
      for (const id of moverIds) {
        if (current.delete(totalKeyOf(id.board, id.periodKey, id.userId))) missing.push(id);
      }
      await boards.ensure(moverIds.map((id) => id.board));
    }
    const cachedTotals = current.size;
    for (const [key, total] of await tx.loadTotals(missing, moverIds.length > 0)) current.set(key, total);
    const limited = scoreEvents.some((e) => e.limits?.maxEventsPerMinute != null);
    const minutes = limited ? await tx.minuteCounts(minuteKeys(events)) : undefined;
    return { boards, current, cachedTotals, standings: barred.users, regions: partitionRegions.users, minutes };
  }

  /** Writes the fold, the admin events' effects and the checkpoint; returns what Redis mirrors. */
  async function writeFold(
    tx: PartitionTransaction,
    admitted: Admitted,
    state: FoldState,
    fold: BatchFold,
    batchOrders: ReadonlyMap<string, RankOrder>,
    checkpoint: BatchWrite['checkpoint'],
  ): Promise<{ profiles: ProfileRow[]; counts: InstanceCount[] }> {
    const { minutes } = state;
    if (fold.minuteCounts.length > 0 || (minutes !== undefined && fold.minuteMark !== minutes.mark)) {
      await tx.writeMinuteCounts(fold.minuteCounts, fold.minuteMark);
    }
    if (fold.regionChanges.length > 0) await tx.writeRegions(fold.regionChanges);
    const moderated =
      admitted.adminEvents.length > 0 || fold.removed.length > 0
        ? await tx.writeModeration({
            removed: fold.removed,
            bans: fold.bans,
            audit: fold.audit,
            erased: fold.erasedUsers,
          })
        : [];
    if (admitted.boardChanges.length > 0) await tx.writeBoardChanges(admitted.boardChanges);
    const written = await tx.write({
      totals: fold.totals,
      rankBuckets: rankBucketDeltas(fold.totals, state.current, batchOrders, fold.removed),
      profiles: fold.profiles,
      ledger: admitted.seen.ledger,
      prune: admitted.seen.prune,
      checkpoint,
    });
    // The batch statement's counts are the later ones where both name an instance.
    const counts = [
      ...moderated.filter((m) => !written.counts.some((c) => c.board === m.board && c.periodKey === m.periodKey)),
      ...written.counts,
    ];
    return { profiles: written.profiles, counts };
  }

  /** Every total the players may have, on every board and instance (what an erasure loads too). */
  async function everyTotalOf(tx: PartitionTransaction, users: ReadonlySet<string>): Promise<TotalId[]> {
    const ids: TotalId[] = [];
    for (const { board, periodKey } of await tx.allInstances()) {
      for (const userId of users) ids.push({ board, periodKey, userId });
    }
    return ids;
  }

  /**
   * Every total the batch's remove_entry events may delete: their board's instance, or every
   * instance the board has; the fold removes those of them that exist at the event's position.
   */
  async function removalTargets(tx: PartitionTransaction, adminEvents: readonly AdminEvent[]): Promise<TotalId[]> {
    const ids: TotalId[] = [];
    const instances = new Map<string, string[]>();
    const erasures = adminEvents.filter((e) => e.action === 'erase');
    if (erasures.length > 0) {
      for (const { board, periodKey } of await tx.allInstances()) {
        for (const e of erasures) ids.push({ board, periodKey, userId: e.userId });
      }
    }
    for (const e of adminEvents) {
      if (e.action !== 'remove_entry' || e.board === null) continue;
      let keys = instances.get(e.board);
      if (keys === undefined) {
        keys = await tx.boardInstances(e.board);
        instances.set(e.board, keys);
      }
      // One instance takes its regional views with it.
      const named = e.periodKey;
      const targets = named === null ? keys : [named, ...keys.filter((k) => globalKeyOf(k) === named)];
      for (const periodKey of targets) ids.push({ board: e.board, periodKey, userId: e.userId });
    }
    return ids;
  }

  function afterCommit(partition: number, batch: IncomingBatch, result: Committed): void {
    for (const board of result.newBoards) {
      orders.set(board.board, board.order);
      if (board.tiebreaks.length > 0)
        tieOrders.set(
          board.board,
          board.tiebreaks.map((c) => c.order),
        );
    }
    result.ledgerCommitted();
    totalsCache.committed(partition, result.checkpoint, result.nextOffset, result.fold.totals, result.fold.removed);
    standings.set(partition, result.standings);
    schedules.set(partition, result.schedules);
    regions.set(partition, result.regions);
    metrics.batches.inc();
    metrics.batchSize.observe(batch.messages.length);
    metrics.eventsApplied.inc(result.fold.applied);
    if (result.duplicates) metrics.eventsSkipped.inc({ reason: 'duplicate' }, result.duplicates);
    if (result.redelivered) metrics.eventsSkipped.inc({ reason: 'redelivered' }, result.redelivered);
    if (result.fold.ignored) metrics.eventsSkipped.inc({ reason: 'banned' }, result.fold.ignored);
    if (result.unreadable) metrics.eventsSkipped.inc({ reason: 'unreadable' }, result.unreadable);
    for (const letter of result.letters) metrics.deadLettered.inc({ reason: letter.reason });
    if (result.letters.length) {
      logger.warn(
        { partition, letters: result.letters.map((l) => ({ offset: l.offset, reason: l.reason })) },
        'dead-lettered',
      );
    }
    if (result.logRestarted) metrics.logRestarts.inc();
  }

  /** Copies what PostgreSQL committed to Redis; a failure leaves Redis to the rebuild, never the batch. */
  async function mirrorToRedis(partition: number, result: Committed): Promise<void> {
    try {
      // Redis holds watermarks of the old log, which would claim the new log's offsets as covered:
      // discarded now so that readers stop trusting it, and rebuilt from scratch by the sync (which
      // also discards it itself if this fails).
      if (result.logRestarted) {
        redisState.logRestarted();
        await redis.discard();
      }
      await redisState.verifyWatermark(partition, result.checkpoint);
      // While an earlier write is missing from Redis, its watermark must not claim this offset:
      // readers would trust a Redis that lacks those totals. The rebuild sets the watermarks.
      const watermarks = redisState.rebuildPending()
        ? new Map<number, number>()
        : new Map([[partition, result.nextOffset]]);
      await redis.apply({
        totals: result.fold.totals,
        removed: result.fold.removed,
        erasedUsers: result.fold.erasedUsers,
        profiles: result.profiles,
        boards: result.newBoards,
        watermarks,
        batch: { partition, checkpoint: result.checkpoint, nextOffset: result.nextOffset, counts: result.counts },
      });
    } catch (error) {
      // PostgreSQL has committed and keeps advancing; Redis is rebuilt from it once reachable.
      metrics.redisWriteFailures.inc();
      redisState.writeFailed(error);
    }
  }

  async function process(batch: IncomingBatch): Promise<BatchOutcome> {
    const started = performance.now();
    const { partition } = batch;
    redisState.batchStarted(partition);
    try {
      const decoded = await decodeAll(batch.messages);
      const decodedAt = performance.now();
      const users = new Set<string>();
      for (const m of decoded) if ('decoded' in m && m.decoded.kind !== 'board') users.add(m.decoded.event.userId);
      const shards = ledger.shardsOf(users);
      const result = await retryingConflicts(partition, () =>
        store.inPartitionTransaction(partition, shards, (tx) => transaction(tx, batch, decoded)),
      );
      if (result.kind === 'gap') {
        logger.info({ partition, fetched: batch.fetchedOffset, seekTo: result.seekTo }, 'fetch ahead of checkpoint');
        return result;
      }
      afterCommit(partition, batch, result);
      const committedAt = performance.now();
      await mirrorToRedis(partition, result);
      const ended = performance.now();
      metrics.batchDuration.observe((ended - started) / 1000);
      logger.debug(
        {
          partition,
          messages: batch.messages.length,
          applied: result.fold.applied,
          totals: result.fold.totals.length,
          cachedTotals: result.cachedTotals,
          decodeMs: Math.round(decodedAt - started),
          postgresMs: Math.round(committedAt - decodedAt),
          redisMs: Math.round(ended - committedAt),
        },
        'batch',
      );
      return { kind: 'committed', nextOffset: result.nextOffset, applied: result.fold.applied };
    } finally {
      redisState.batchEnded(partition);
    }
  }

  return { process };
}

export type BatchProcessor = ReturnType<typeof createBatchProcessor>;
