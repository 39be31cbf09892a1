-- Up Migration

-- A board's tie-break columns: up to 4 {order, op}, compared after the score, each in its own order.
-- Fixed at creation, as sort_order is: the stored sort keys were computed with them.
ALTER TABLE boards ADD COLUMN tiebreaks jsonb NOT NULL DEFAULT '[]';

-- A total's tie-break values (NULL on boards without columns) and their sort key (ranking.ts:
-- toTieKey, empty without columns), which orders rows between rank_score and reached_at exactly as
-- the Redis member's prefix orders members.
ALTER TABLE totals
  ADD COLUMN tiebreaks bigint[],
  ADD COLUMN tie_key text COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX totals_rank_order_ties ON totals (board, period_key, rank_score, tie_key, reached_at, user_id);
DROP INDEX totals_rank_order;
ALTER INDEX totals_rank_order_ties RENAME TO totals_rank_order;

-- Down Migration

CREATE INDEX totals_rank_order_plain ON totals (board, period_key, rank_score, reached_at, user_id);
DROP INDEX totals_rank_order;
ALTER INDEX totals_rank_order_plain RENAME TO totals_rank_order;
ALTER TABLE totals DROP COLUMN tiebreaks, DROP COLUMN tie_key;
ALTER TABLE boards DROP COLUMN tiebreaks;
