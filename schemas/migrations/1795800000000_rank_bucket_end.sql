-- Up Migration

-- The end (the first rank score after it) of the bucket holding a rank score, for the query API: a
-- rank counts the rows ahead of the user inside their bucket, and when the user sits in the bucket's
-- second half it is cheaper to count the rows from the user to the bucket's end and subtract them
-- from the bucket's players (rank_buckets). rank_bucket_end(x) = rank_bucket_start(x) + the width.
CREATE FUNCTION rank_bucket_end(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / w) * w + w ELSE -((abs(x) / w) * w) + 1 END
  FROM (SELECT CASE WHEN abs(x) < 256 THEN 1::bigint
                    ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END AS w) s
$$;

-- Down Migration
DROP FUNCTION rank_bucket_end(bigint);
