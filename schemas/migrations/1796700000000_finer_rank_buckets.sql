-- Up Migration

-- Rank buckets 4× narrower (BUCKET_BITS 8 → 10), in groups of 32 instead of 16. A rank from
-- PostgreSQL counts the rows ahead of the user inside their bucket one index entry at a time: ~900
-- per user at 1M players, ~85 % of the cost of the ranks of 50 users. With ~1,000 players per bucket
-- that is a quarter; the wider groups keep the sum of the buckets before the user's short.

-- Writers of the old layout (a projector still running the old code in a rolling upgrade) must not
-- add old-layout deltas to new-layout counts: the aid tables now carry the layout in a column with no
-- default, so such a batch fails and rolls back, and is retried once that projector is replaced.
LOCK TABLE totals IN SHARE MODE;
LOCK TABLE rank_buckets, rank_bucket_groups IN ACCESS EXCLUSIVE MODE;
TRUNCATE rank_buckets, rank_bucket_groups;
ALTER TABLE rank_buckets ADD COLUMN bucket_bits smallint NOT NULL CHECK (bucket_bits = 10);
ALTER TABLE rank_bucket_groups ADD COLUMN bucket_bits smallint NOT NULL CHECK (bucket_bits = 10);

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
INSERT INTO rank_buckets (board, period_key, bucket_start, partition, players, bucket_bits)
SELECT board, period_key, rank_bucket_start(rank_score), -1, count(*), 10 FROM totals GROUP BY 1, 2, 3;
INSERT INTO rank_bucket_groups (board, period_key, group_start, partition, players, bucket_bits)
SELECT board, period_key, rank_group_start(bucket_start), -1, sum(players), 10 FROM rank_buckets GROUP BY 1, 2, 3;

-- Down Migration
DROP FUNCTION rank_group_end(bigint);
LOCK TABLE totals IN SHARE MODE;
LOCK TABLE rank_buckets, rank_bucket_groups IN ACCESS EXCLUSIVE MODE;
TRUNCATE rank_buckets, rank_bucket_groups;
ALTER TABLE rank_buckets DROP COLUMN bucket_bits;
ALTER TABLE rank_bucket_groups DROP COLUMN bucket_bits;
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
