import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type IngestStatus, type QueryStatus } from '../api.js';
import { formatAgo, formatCount, formatDuration, formatRate } from '../format.js';
import { type Loaded, usePoll } from '../hooks.js';
import { Chart } from './chart.js';
import { fallbackText } from './store-badge.js';

/** Samples kept for the charts: 5 minutes at one per 2 s. */
const KEEP = 150;

interface Sample {
  at: number;
  acceptedPerS: number | null;
  lagMs: number | null;
  behind: number | null;
}

/** The pipeline's health, polled from both APIs' /v1/status, with the last minutes charted. */
export function PipelinePage({ status, ingestUrl }: { status: Loaded<QueryStatus>; ingestUrl: string | null }) {
  const ingest = usePoll(
    () => (ingestUrl ? getJson<IngestStatus>(`${ingestUrl}/v1/status`) : Promise.resolve(undefined)),
    ingestUrl ? 2_000 : null,
    [ingestUrl],
  );
  // A rate is the log's growth between two polls.
  const [samples, setSamples] = useState<Sample[]>([]);
  const previous = useRef<IngestStatus | undefined>(undefined);
  useEffect(() => {
    const now = ingest.data;
    if (!now) return;
    const before = previous.current;
    previous.current = now;
    const rate =
      before && now.eventsInLog !== null && before.eventsInLog !== null && now.at > before.at
        ? ((now.eventsInLog - before.eventsInLog) * 1_000) / (now.at - before.at)
        : null;
    setSamples((s) => [...s.slice(-(KEEP - 1)), { at: now.at, acceptedPerS: rate, lagMs: null, behind: null }]);
  }, [ingest.data]);
  const q = status.data;
  // The query side's figures join the newest sample as they arrive.
  const [lagSamples, setLagSamples] = useState<Sample[]>([]);
  useEffect(() => {
    if (!q) return;
    setLagSamples((s) => [
      ...s.slice(-(KEEP - 1)),
      { at: q.at, acceptedPerS: null, lagMs: q.projectionLagMs, behind: q.eventsBehind },
    ]);
  }, [q]);

  return (
    <section aria-labelledby="pipeline-title">
      <h1 id="pipeline-title">Pipeline</h1>
      {status.error ? (
        <p role="alert" class="error">
          The query API does not answer: {status.error}. Trying again every 2 s.
        </p>
      ) : null}
      {ingest.error ? (
        <p role="alert" class="error">
          The ingest API at {ingestUrl} does not answer ({ingest.error}); accepted events are not shown.
        </p>
      ) : null}
      <dl class="cards" data-testid="pipeline">
        <div>
          <dt>Reads served by</dt>
          <dd>{q ? (q.servedBy === 'redis' ? 'Redis' : `PostgreSQL: ${fallbackText(q.fallbackReason)}`) : '—'}</dd>
        </div>
        <div>
          <dt>Redis circuit breaker</dt>
          <dd>{q?.redis.breaker ?? '—'}</dd>
        </div>
        <div>
          <dt>Redis behind PostgreSQL</dt>
          <dd>{q ? formatDuration(q.redis.behindMs) : '—'}</dd>
        </div>
        <div>
          <dt>Projection lag</dt>
          <dd>{q ? formatDuration(q.projectionLagMs) : '—'}</dd>
        </div>
        <div>
          <dt>Events not yet projected</dt>
          <dd>{formatCount(q?.eventsBehind)}</dd>
        </div>
        <div>
          <dt>Events accepted</dt>
          <dd>{formatRate(samples.at(-1)?.acceptedPerS ?? null)}</dd>
        </div>
        <div>
          <dt>Events in the log</dt>
          <dd>{formatCount(ingest.data?.eventsInLog)}</dd>
        </div>
        <div>
          <dt>Dead-lettered events</dt>
          <dd>{formatCount(ingest.data?.deadLettered)}</dd>
        </div>
        <div>
          <dt>Live feeds (subscribers)</dt>
          <dd>{q ? `${formatCount(q.live.feeds)} (${formatCount(q.live.streams + q.live.sockets)})` : '—'}</dd>
        </div>
      </dl>
      <div class="charts">
        <Chart
          title="Events accepted per second"
          unit="/s"
          times={samples.map((s) => s.at / 1_000)}
          values={samples.map((s) => (s.acceptedPerS === null ? null : Math.round(s.acceptedPerS)))}
        />
        <Chart
          title="Projection lag"
          unit="ms"
          times={lagSamples.map((s) => s.at / 1_000)}
          values={lagSamples.map((s) => s.lagMs)}
        />
        <Chart
          title="Events not yet projected"
          unit="events"
          times={lagSamples.map((s) => s.at / 1_000)}
          values={lagSamples.map((s) => s.behind)}
        />
      </div>
      {q && q.partitions.length > 0 ? (
        <table>
          <caption>Per partition of the events topic (Kafka consumer lag)</caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                Partition
              </th>
              <th scope="col" class="num">
                Projected up to
              </th>
              <th scope="col" class="num">
                Log end
              </th>
              <th scope="col" class="num">
                Behind
              </th>
              <th scope="col">Last caught up</th>
            </tr>
          </thead>
          <tbody>
            {q.partitions.map((p) => (
              <tr key={p.partition}>
                <th scope="row" class="num">
                  {p.partition}
                </th>
                <td class="num">{formatCount(p.offset)}</td>
                <td class="num">{formatCount(p.logEnd)}</td>
                <td class="num">{formatCount(p.behind)}</td>
                <td>{p.caughtUpAt === null ? '—' : formatAgo(p.caughtUpAt, q.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : q ? (
        <p class="empty">No events projected yet.</p>
      ) : null}
    </section>
  );
}
