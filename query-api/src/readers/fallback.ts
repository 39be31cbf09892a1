import { type Logger, runEvery, withTimeout } from '@rankstream/schemas/runtime';
import CircuitBreaker from 'opossum';
import { isAheadOf, type OffsetSample, redisBehindMs } from '../domain/projection-lag.js';
import type { RankingReader, StoreName, StoreRead, StoreState } from '../domain/read-model.js';

export type FallbackReason =
  | 'breaker_open'
  | 'redis_error'
  | 'redis_timeout'
  | 'redis_behind'
  | 'not_ready'
  | 'rebuilding'
  | 'board_missing'
  | 'stale_epoch'
  | 'beyond_top_k'
  | 'not_kept';

export interface Served<T> {
  value: T;
  state: StoreState;
  servedBy: StoreName;
}

export interface ServingStatus {
  servedBy: StoreName;
  reason: FallbackReason | null;
  state: StoreState;
  breaker: 'closed' | 'half_open' | 'open';
  redisBehindMs: number;
}

export interface FallbackOptions {
  redisDeadlineMs: number;
  maxRedisLagMs: number;
  breakerErrorPercent: number;
  breakerMinCalls: number;
  breakerResetMs: number;
  onFallback?: (reason: FallbackReason) => void;
  onBreakerState?: (state: 'closed' | 'half_open' | 'open') => void;
}

type Op<T> = (reader: RankingReader) => Promise<StoreRead<T>>;

/**
 * Picks the store per request: Redis unless it is unreachable, slower than the deadline, not ready,
 * rebuilding, missing the board, or known to be behind PostgreSQL by more than the allowed lag;
 * PostgreSQL otherwise. The circuit breaker turns a dead Redis into one fast failure per reset
 * period instead of a deadline spent on every request.
 */
export class FallbackReader {
  private readonly breaker: CircuitBreaker<[Op<unknown>], StoreRead<unknown>>;
  private pgSamples: OffsetSample[] = [];
  private redisWatermark: Record<number, number> | undefined;
  private monitor: { stop(): Promise<void> } | undefined;

  constructor(
    private readonly redis: RankingReader,
    private readonly postgres: RankingReader,
    private readonly options: FallbackOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.breaker = new CircuitBreaker((op: Op<unknown>) => op(this.redis), {
      timeout: options.redisDeadlineMs,
      errorThresholdPercentage: options.breakerErrorPercent,
      volumeThreshold: options.breakerMinCalls,
      resetTimeout: options.breakerResetMs,
      rollingCountTimeout: 10_000,
      rollingCountBuckets: 10,
    });
    this.breaker.on('open', () => {
      logger.warn('Redis circuit breaker open: reading from PostgreSQL');
      options.onBreakerState?.('open');
    });
    this.breaker.on('halfOpen', () => options.onBreakerState?.('half_open'));
    this.breaker.on('close', () => {
      logger.info('Redis circuit breaker closed: reading from Redis again');
      options.onBreakerState?.('closed');
    });
  }

  async read<T>(op: Op<T>): Promise<Served<T>> {
    const reason = await this.tryRedis(op);
    if (typeof reason !== 'string') return reason;
    this.options.onFallback?.(reason);
    const fromPg = await op(this.postgres);
    if (!fromPg.served) throw new Error(`PostgreSQL reader cannot answer: ${fromPg.reason}`);
    return { value: fromPg.value, state: fromPg.state, servedBy: 'postgres' };
  }

  private async tryRedis<T>(op: Op<T>): Promise<Served<T> | FallbackReason> {
    if (this.redisLagMs() > this.options.maxRedisLagMs) return 'redis_behind';
    try {
      const r = (await this.breaker.fire(op as Op<unknown>)) as StoreRead<T>;
      if (!r.served) return r.reason;
      return { value: r.value, state: r.state, servedBy: 'redis' };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EOPENBREAKER') return 'breaker_open';
      if (code === 'ETIMEDOUT') return 'redis_timeout';
      this.logger.debug({ err: error }, 'Redis read failed');
      return 'redis_error';
    }
  }

  /** Which store a read goes to now and, for PostgreSQL, why not Redis (the status page). */
  async serving(): Promise<ServingStatus> {
    const fromRedis = await this.tryRedis((r) => r.state());
    const health = { breaker: this.breakerState(), redisBehindMs: Math.round(this.redisLagMs()) };
    if (typeof fromRedis !== 'string') return { servedBy: 'redis', reason: null, state: fromRedis.state, ...health };
    const fromPg = await this.postgres.state();
    if (!fromPg.served) throw new Error(`PostgreSQL reader cannot answer: ${fromPg.reason}`);
    return { servedBy: 'postgres', reason: fromRedis, state: fromPg.state, ...health };
  }

  prefersRedis(): boolean {
    return !this.breaker.opened && !this.breaker.halfOpen && this.redisLagMs() <= this.options.maxRedisLagMs;
  }

  breakerState(): 'closed' | 'half_open' | 'open' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** How long Redis has been missing effects PostgreSQL has held (from the last samples). */
  redisLagMs(): number {
    if (!this.redisWatermark) return 0;
    return redisBehindMs(this.pgSamples, this.redisWatermark, this.now());
  }

  /** One comparison of the two watermarks; the monitor calls it every interval. */
  async sampleWatermarks(): Promise<void> {
    const at = this.now();
    const pg = await this.postgres.state();
    if (pg.served) {
      // PostgreSQL's checkpoints move back only when the events topic was replaced (the projector
      // then projects the new log from its start): samples of the old log would hold Redis "behind"
      // until the new log passed them.
      let last = this.pgSamples.at(-1);
      if (last && isAheadOf(last.offsets, pg.value.watermark)) {
        this.pgSamples = [];
        last = undefined;
      }
      const changed = !last || JSON.stringify(last.offsets) !== JSON.stringify(pg.value.watermark);
      if (changed) this.pgSamples.push({ at, offsets: pg.value.watermark });
    }
    if (this.breaker.opened) return;
    try {
      const redis = await withTimeout(this.redis.state(), Math.max(this.options.redisDeadlineMs, 1_000));
      this.redisWatermark = redis.served ? redis.value.watermark : undefined;
    } catch {
      this.redisWatermark = undefined;
    }
    // Samples Redis has passed can never matter again, except the newest (the baseline to compare to).
    const wm = this.redisWatermark;
    while (wm && this.pgSamples.length > 1 && !isAheadOf(this.pgSamples[0]!.offsets, wm)) {
      this.pgSamples.shift();
    }
    if (this.pgSamples.length > 1000) this.pgSamples.splice(0, this.pgSamples.length - 1000);
  }

  startMonitor(intervalMs: number): void {
    const sample = () =>
      this.sampleWatermarks().catch((error: unknown) => this.logger.debug({ err: error }, 'watermark sample failed'));
    void sample();
    this.monitor = runEvery(intervalMs, sample, () => {});
  }

  stop(): void {
    void this.monitor?.stop();
    this.breaker.shutdown();
  }
}
