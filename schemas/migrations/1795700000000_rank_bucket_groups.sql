-- Up Migration

-- A rank from PostgreSQL summed the players of every rank bucket before the user's: up to a few
-- thousand buckets, times one row per Kafka partition, for a player near the bottom of a board. Groups
-- of 16 buckets cut that to a sixteenth: a rank is now the players of the groups before the user's
-- group, plus the buckets of that group before the user's bucket, plus the rows ahead in the bucket.

-- The start of the group holding a rank score: rank_bucket_start() with 16 times the width, so that
-- every bucket lies inside one group (rank_group_start(rank_bucket_start(x)) = rank_group_start(x)).
CREATE FUNCTION rank_group_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / w) * w ELSE -((abs(x) / w) * w + w - 1) END
  FROM (SELECT 16 * CASE WHEN abs(x) < 256 THEN 1::bigint
                         ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END AS w) s
$$;

-- Players per rank bucket group and partition, kept by the projector in the batch transaction from
-- the same deltas as rank_buckets.
CREATE TABLE rank_bucket_groups (
  board text COLLATE "C" NOT NULL,
  period_key text COLLATE "C" NOT NULL,
  group_start bigint NOT NULL,
  partition integer NOT NULL,
  players bigint NOT NULL,
  PRIMARY KEY (board, period_key, group_start, partition)
);

LOCK TABLE rank_buckets IN SHARE MODE;
INSERT INTO rank_bucket_groups (board, period_key, group_start, partition, players)
SELECT board, period_key, rank_group_start(bucket_start), partition, sum(players)
FROM rank_buckets GROUP BY 1, 2, 3, 4;

-- Down Migration
DROP TABLE rank_bucket_groups;
DROP FUNCTION rank_group_start(bigint);
