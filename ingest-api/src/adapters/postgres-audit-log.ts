import type { Pool } from '@rankstream/schemas/runtime';
import type { AuditEntry, AuditLog } from '../ports.js';

export function createPostgresAuditLog(pool: Pool): AuditLog {
  return {
    async list({ userId, board, before, limit }): Promise<AuditEntry[]> {
      const { rows } = await pool.query(
        `SELECT event_id, action, user_id, board, period_key, actor, reason, occurred_at, removed, partition, kafka_offset
         FROM admin_audit
         WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR board = $2)
           AND ($3::bigint IS NULL OR (occurred_at, event_id) < ($3, $5::text))
         ORDER BY occurred_at DESC, event_id DESC LIMIT $4`,
        [userId ?? null, board ?? null, before?.occurredAt ?? null, limit, before?.eventId ?? ''],
      );
      return rows.map((r) => ({
        eventId: r.event_id,
        action: r.action,
        userId: r.user_id,
        board: r.board,
        periodKey: r.period_key,
        actor: r.actor,
        reason: r.reason,
        occurredAt: Number(r.occurred_at),
        removed: r.removed,
        partition: r.partition,
        offset: Number(r.kafka_offset),
      }));
    },
  };
}
