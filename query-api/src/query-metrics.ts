import { Counter, Gauge, Histogram, type Registry } from '@rankstream/schemas/runtime';

export interface QueryMetrics {
  requests: Counter<'route' | 'method' | 'status' | 'served_by'>;
  latency: Histogram<'route' | 'served_by'>;
  fallbacks: Counter<'reason'>;
  breakerState: Gauge;
  streams: Gauge<'kind'>;
  sockets: Gauge<'kind'>;
  feeds: Gauge;
  feedReads: Counter;
  consistencyWaits: Counter<'outcome'>;
  answerCache: Counter<'outcome'>;
}

export function createQueryMetrics(registry: Registry): QueryMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'query_http_requests_total',
      help: 'HTTP requests by route, status and the store that answered',
      labelNames: ['route', 'method', 'status', 'served_by'],
      registers,
    }),
    latency: new Histogram({
      name: 'query_http_request_duration_seconds',
      help: 'Time to answer (streams excluded), by route and store',
      labelNames: ['route', 'served_by'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    fallbacks: new Counter({
      name: 'query_fallbacks_total',
      help: 'Reads answered from PostgreSQL instead of Redis, by reason',
      labelNames: ['reason'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'query_redis_breaker_state',
      help: 'Redis circuit breaker: 0 closed, 1 half-open, 2 open',
      registers,
    }),
    streams: new Gauge({
      name: 'query_sse_streams',
      help: 'Open Server-Sent Events streams',
      labelNames: ['kind'],
      registers,
    }),
    sockets: new Gauge({
      name: 'query_websockets',
      help: 'Open WebSocket feeds',
      labelNames: ['kind'],
      registers,
    }),
    feeds: new Gauge({
      name: 'query_live_feeds',
      help: 'Distinct live feeds (one publisher each, shared by its SSE and WebSocket subscribers)',
      registers,
    }),
    feedReads: new Counter({
      name: 'query_live_feed_reads_total',
      help: 'Answers read by live feeds (one per change of a feed, shared by all its subscribers)',
      registers,
    }),
    consistencyWaits: new Counter({
      name: 'query_consistency_waits_total',
      help: 'Reads that carried a consistency token, by whether the projection covered it in time',
      labelNames: ['outcome'],
      registers,
    }),
    answerCache: new Counter({
      name: 'query_answer_cache_total',
      help: 'Top pages looked up in the answer cache, by hit or miss (a miss reads Redis)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}

export const BREAKER_GAUGE = { closed: 0, half_open: 1, open: 2 } as const;
