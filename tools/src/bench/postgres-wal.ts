import type pg from 'pg';

/** Where PostgreSQL's write-ahead log stands, and its counters (the whole server). */
export interface WalPosition {
  /** The log's insert position (an LSN), exact at any moment. */
  lsn: string;
  /** Full-page images so far: pages logged whole on their first change after a checkpoint (their
   * empty middle left out). From pg_stat_wal, which backends flush about once a second. */
  fullPageImages: number;
}

export interface WalWritten {
  bytes: number;
  fullPageImages: number;
}

export async function walPosition(db: pg.Pool | pg.Client): Promise<WalPosition> {
  const { rows } = await db.query<{ lsn: string; wal_fpi: string }>(
    'SELECT pg_current_wal_insert_lsn()::text AS lsn, wal_fpi FROM pg_stat_wal',
  );
  return { lsn: rows[0]?.lsn ?? '0/0', fullPageImages: Number(rows[0]?.wal_fpi ?? 0) };
}

export async function walWrittenSince(db: pg.Pool | pg.Client, before: WalPosition): Promise<WalWritten> {
  const { rows } = await db.query<{ bytes: string; wal_fpi: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn) AS bytes, wal_fpi FROM pg_stat_wal',
    [before.lsn],
  );
  return {
    bytes: Number(rows[0]?.bytes ?? 0),
    fullPageImages: Number(rows[0]?.wal_fpi ?? 0) - before.fullPageImages,
  };
}

/** The server settings that decide how much log a write-heavy load makes, as `name=value` text. */
export async function walSettings(db: pg.Pool | pg.Client): Promise<string> {
  const names = ['shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'full_page_writes'];
  const { rows } = await db.query<{ name: string; value: string }>(
    'SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name',
    [names],
  );
  return rows.map((r) => `${r.name}=${r.value}`).join(', ');
}
