import type pg from 'pg';

/** PostgreSQL's write-ahead log counters (pg_stat_wal, the whole server). */
export interface WalCounters {
  records: number;
  /** Full-page images: whole 8 KB pages logged on their first change after a checkpoint. */
  fullPageImages: number;
  bytes: number;
}

export async function walCounters(db: pg.Pool | pg.Client): Promise<WalCounters> {
  const { rows } = await db.query<{ wal_records: string; wal_fpi: string; wal_bytes: string }>(
    'SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal',
  );
  const row = rows[0];
  return {
    records: Number(row?.wal_records ?? 0),
    fullPageImages: Number(row?.wal_fpi ?? 0),
    bytes: Number(row?.wal_bytes ?? 0),
  };
}

export function walSince(before: WalCounters, after: WalCounters): WalCounters {
  return {
    records: after.records - before.records,
    fullPageImages: after.fullPageImages - before.fullPageImages,
    bytes: after.bytes - before.bytes,
  };
}

/** The server settings that decide how much WAL a write-heavy load makes, as `name=value` text. */
export async function walSettings(db: pg.Pool | pg.Client): Promise<string> {
  const { rows } = await db.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings
     WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'full_page_writes')
     ORDER BY name`,
  );
  return rows.map((r) => `${r.name}=${r.setting}${r.unit ? ` ${r.unit}` : ''}`).join(', ');
}
