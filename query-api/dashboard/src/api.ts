/** The two APIs as the dashboard calls them: the query API on this origin, the ingest API by URL. */

import type { Entry } from '../../src/domain/answers.js';

export type { Entry };

export interface BoardSummary {
  board: string;
  order: 'asc' | 'desc';
  periods: string[];
  timeZone: string;
  weekStartsOn: string;
  players: number;
}

export interface TopAnswer {
  board: string;
  period: string;
  periodKey: string;
  total: number;
  entries: Entry[];
  nextCursor: string | null;
}

export interface UserStreamAnswer {
  board: string;
  period: string;
  periodKey: string;
  total: number;
  user: Entry | null;
  entries: Entry[];
}

export interface UserAnswer {
  userId: string;
  username: string | null;
  imageUrl: string | null;
  region: string | null;
  boards: { board: string; period: string; periodKey: string; rank: number; score: number; total: number }[];
}

export interface QueryStatus {
  at: number;
  servedBy: 'redis' | 'postgres';
  fallbackReason: string | null;
  redis: { breaker: string; behindMs: number };
  projectionLagMs: number;
  eventsBehind: number;
  partitions: { partition: number; offset: number; logEnd: number; behind: number; caughtUpAt: number | null }[];
  fallbacks: Record<string, number>;
  live: { feeds: number; sockets: number; streams: number };
}

export interface IngestStatus {
  at: number;
  kafka: 'up' | 'down';
  eventsInLog: number | null;
  deadLettered: number | null;
}

/** An answer that was not 2xx: the API's JSON error message, or what went wrong on the way. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(res: Response): Promise<T> {
  if (res.ok) return (await res.json()) as T;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { message?: string; details?: { path: string; message: string }[] } };
    const detail = body.error?.details?.[0];
    message = detail ? `${detail.path}: ${detail.message}` : (body.error?.message ?? message);
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(res.status, message);
}

export async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    // A poll that hangs would stop the page's polling loop for good.
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new ApiError(0, 'the API did not answer (is it running?)');
  }
  return answer<T>(res);
}

/** A call to the ingest API with the pasted key; a GET or DELETE may go without a body. */
export async function sendWithKey<T>(
  url: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  key: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'the ingest API did not answer (is it running, and is DASHBOARD_INGEST_URL right?)');
  }
  return answer<T>(res);
}

/** Where the ingest API is: DASHBOARD_INGEST_URL as the query API serves it, else this host's port 8080. */
export async function ingestUrl(): Promise<string> {
  try {
    const config = await getJson<{ ingestUrl: string | null }>('/dashboard/config.json');
    if (config.ingestUrl) return config.ingestUrl.replace(/\/$/, '');
  } catch {
    // fall through to the default
  }
  return `${location.protocol}//${location.hostname}:8080`;
}

export const enc = encodeURIComponent;
