-- Up Migration

-- Counts are kept per Kafka partition of the events topic. Every partition's batch transaction
-- writes only its own rows, so batches of different partitions no longer queue on the same count
-- rows (they did: one row per board and period key serialised the whole projector). Readers sum the
-- rows; a single row can go negative (a user whose partition changed after a topic expansion) while
-- the sums stay exact. Rows from before this migration have partition -1.
ALTER TABLE period_counts ADD COLUMN partition integer NOT NULL DEFAULT -1;
ALTER TABLE period_counts DROP CONSTRAINT period_counts_pkey;
ALTER TABLE period_counts ADD PRIMARY KEY (board, period_key, partition);
ALTER TABLE period_counts ALTER COLUMN partition DROP DEFAULT;

-- The start of the rank bucket holding a rank score: schemas/src/rank-buckets.ts, rankBucketStart()
-- (a test keeps the two equal). Magnitudes below 256 are exact; above, each power of two is cut into
-- 128 buckets. w is the bucket width: 2^(bit length − 8), found from the leading zero bits.
CREATE FUNCTION rank_bucket_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / w) * w ELSE -((abs(x) / w) * w + w - 1) END
  FROM (SELECT CASE WHEN abs(x) < 256 THEN 1::bigint
                    ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END AS w) s
$$;

-- Players per rank bucket (and partition), kept by the projector in the batch transaction. A rank
-- from PostgreSQL is the players of the buckets before the user's plus the rows ahead inside the
-- user's bucket: a few thousand small rows and one short index range instead of O(rank) rows.
CREATE TABLE rank_buckets (
  board text COLLATE "C" NOT NULL,
  period_key text COLLATE "C" NOT NULL,
  bucket_start bigint NOT NULL,
  partition integer NOT NULL,
  players bigint NOT NULL,
  PRIMARY KEY (board, period_key, bucket_start, partition)
);

LOCK TABLE totals IN SHARE MODE;
INSERT INTO rank_buckets (board, period_key, bucket_start, partition, players)
SELECT board, period_key, rank_bucket_start(rank_score), -1, count(*) FROM totals GROUP BY 1, 2, 3;

-- Down Migration
DROP TABLE rank_buckets;
DROP FUNCTION rank_bucket_start(bigint);
CREATE TABLE period_counts_summed AS
  SELECT board, period_key, sum(players)::bigint AS players FROM period_counts GROUP BY board, period_key;
DROP TABLE period_counts;
ALTER TABLE period_counts_summed RENAME TO period_counts;
ALTER TABLE period_counts ALTER COLUMN players SET NOT NULL, ADD PRIMARY KEY (board, period_key);
