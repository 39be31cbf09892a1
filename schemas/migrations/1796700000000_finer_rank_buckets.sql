-- Up Migration

-- Rank buckets 4× narrower (BUCKET_BITS 8 → 10), in groups of 32 instead of 16. A rank from
-- PostgreSQL counts the rows ahead of the user inside their bucket one index entry at a time: ~900
-- per user at 1M players, ~85 % of the cost of the ranks of 50 users. With ~1,000 players per bucket
-- that is a quarter; the wider groups keep the sum of the buckets before the user's short.

-- A projector of the old release (a rolling upgrade) must not write into the new counts: its deltas
-- are in the old layout, and a batch whose moves stay inside old buckets writes none while the rows
-- still cross new ones. So the counts move to new names, and the old names become views that old
-- readers can read and no writer can write (a view over two FROM items is not updatable): every batch
-- of an old projector fails as its statement is planned, and is retried until that projector is
-- replaced. A later release drops the views.
LOCK TABLE totals IN SHARE MODE;
LOCK TABLE rank_buckets, rank_bucket_groups IN ACCESS EXCLUSIVE MODE;
ALTER TABLE rank_buckets RENAME TO rank_bucket_counts;
ALTER INDEX rank_buckets_pkey RENAME TO rank_bucket_counts_pkey;
ALTER TABLE rank_bucket_groups RENAME TO rank_group_counts;
ALTER INDEX rank_bucket_groups_pkey RENAME TO rank_group_counts_pkey;
TRUNCATE rank_bucket_counts, rank_group_counts;

-- rank_bucket_start() and rank_bucket_end() use the width; inlined, they follow it.
CREATE OR REPLACE FUNCTION rank_bucket_width(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN abs(x) < 1024 THEN 1::bigint ELSE 1::bigint << (55 - position('1' IN abs(x)::bit(64)::text)) END
$$;

CREATE OR REPLACE FUNCTION rank_group_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / (32 * rank_bucket_width(x))) * (32 * rank_bucket_width(x))
              ELSE -((abs(x) / (32 * rank_bucket_width(x))) * (32 * rank_bucket_width(x)) + 32 * rank_bucket_width(x) - 1) END
$$;

-- Where a group ends (exclusively): a rank counts the buckets of the user's group from its nearer end.
-- The negative group nearest zero mirrors magnitudes 0–31 but cannot hold 0 (a positive score), so it
-- ends at 0 (least() skips the NULL of the other case).
CREATE FUNCTION rank_group_end(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
  SELECT least(rank_group_start(x) + 32 * rank_bucket_width(x), CASE WHEN x < 0 THEN 0 END)
$$;

-- Recounted from totals. A total does not record its Kafka partition, so the counts so far go to
-- partition -1, a row no batch writes; batches add their deltas to their own partitions' rows (which
-- may now go below zero), and readers sum over partitions as before.
INSERT INTO rank_bucket_counts (board, period_key, bucket_start, partition, players)
SELECT board, period_key, rank_bucket_start(rank_score), -1, count(*) FROM totals GROUP BY 1, 2, 3;
INSERT INTO rank_group_counts (board, period_key, group_start, partition, players)
SELECT board, period_key, rank_group_start(bucket_start), -1, sum(players) FROM rank_bucket_counts GROUP BY 1, 2, 3;

CREATE VIEW rank_buckets AS
  SELECT c.board, c.period_key, c.bucket_start, c.partition, c.players FROM rank_bucket_counts c, (VALUES (1)) AS v(x);
CREATE VIEW rank_bucket_groups AS
  SELECT c.board, c.period_key, c.group_start, c.partition, c.players FROM rank_group_counts c, (VALUES (1)) AS v(x);

-- Down Migration
DROP VIEW rank_buckets;
DROP VIEW rank_bucket_groups;
LOCK TABLE totals IN SHARE MODE;
LOCK TABLE rank_bucket_counts, rank_group_counts IN ACCESS EXCLUSIVE MODE;
ALTER TABLE rank_bucket_counts RENAME TO rank_buckets;
ALTER INDEX rank_bucket_counts_pkey RENAME TO rank_buckets_pkey;
ALTER TABLE rank_group_counts RENAME TO rank_bucket_groups;
ALTER INDEX rank_group_counts_pkey RENAME TO rank_bucket_groups_pkey;
TRUNCATE rank_buckets, rank_bucket_groups;
DROP FUNCTION rank_group_end(bigint);
CREATE OR REPLACE FUNCTION rank_bucket_width(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN abs(x) < 256 THEN 1::bigint ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END
$$;
CREATE OR REPLACE FUNCTION rank_group_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / (16 * rank_bucket_width(x))) * (16 * rank_bucket_width(x))
              ELSE -((abs(x) / (16 * rank_bucket_width(x))) * (16 * rank_bucket_width(x)) + 16 * rank_bucket_width(x) - 1) END
$$;
INSERT INTO rank_buckets (board, period_key, bucket_start, partition, players)
SELECT board, period_key, rank_bucket_start(rank_score), -1, count(*) FROM totals GROUP BY 1, 2, 3;
INSERT INTO rank_bucket_groups (board, period_key, group_start, partition, players)
SELECT board, period_key, rank_group_start(bucket_start), -1, sum(players) FROM rank_buckets GROUP BY 1, 2, 3;
