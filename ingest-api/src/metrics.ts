import { Counter, Histogram, type Registry } from '@rankstream/schemas/runtime';

export interface IngestMetrics {
  httpRequests: Counter<'route' | 'method' | 'status'>;
  eventsAccepted: Counter<'kind'>;
  produceSeconds: Histogram<'outcome'>;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  return {
    httpRequests: new Counter({
      name: 'ingest_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    eventsAccepted: new Counter({
      name: 'ingest_events_accepted_total',
      help: 'Events acknowledged by Kafka (acks=all) and answered with 202',
      labelNames: ['kind'],
      registers: [registry],
    }),
    produceSeconds: new Histogram({
      name: 'ingest_produce_duration_seconds',
      help: 'Time from handing a request to the producer to every event being acknowledged, or giving up',
      labelNames: ['outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
