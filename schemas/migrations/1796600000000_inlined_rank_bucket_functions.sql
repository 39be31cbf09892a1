-- Up Migration

-- The rank bucket functions, with the same results, in a form PostgreSQL inlines: one expression, no
-- FROM, not STRICT (a CASE is not strict, and a STRICT function is only inlined over a strict body;
-- NULL still gives NULL). As calls, each cost ~8 µs, against ~1 µs inlined: ~40 µs of a rank from
-- PostgreSQL and ~2 ms of the ranks of 50 users. The width is its own function, inlined too.
CREATE FUNCTION rank_bucket_width(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN abs(x) < 256 THEN 1::bigint ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END
$$;

CREATE OR REPLACE FUNCTION rank_bucket_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / rank_bucket_width(x)) * rank_bucket_width(x)
              ELSE -((abs(x) / rank_bucket_width(x)) * rank_bucket_width(x) + rank_bucket_width(x) - 1) END
$$;

CREATE OR REPLACE FUNCTION rank_bucket_end(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / rank_bucket_width(x)) * rank_bucket_width(x) + rank_bucket_width(x)
              ELSE -((abs(x) / rank_bucket_width(x)) * rank_bucket_width(x)) + 1 END
$$;

CREATE OR REPLACE FUNCTION rank_group_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / (16 * rank_bucket_width(x))) * (16 * rank_bucket_width(x))
              ELSE -((abs(x) / (16 * rank_bucket_width(x))) * (16 * rank_bucket_width(x)) + 16 * rank_bucket_width(x) - 1) END
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION rank_bucket_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / w) * w ELSE -((abs(x) / w) * w + w - 1) END
  FROM (SELECT CASE WHEN abs(x) < 256 THEN 1::bigint
                    ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END AS w) s
$$;
CREATE OR REPLACE FUNCTION rank_bucket_end(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / w) * w + w ELSE -((abs(x) / w) * w) + 1 END
  FROM (SELECT CASE WHEN abs(x) < 256 THEN 1::bigint
                    ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END AS w) s
$$;
CREATE OR REPLACE FUNCTION rank_group_start(x bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN x >= 0 THEN (x / w) * w ELSE -((abs(x) / w) * w + w - 1) END
  FROM (SELECT 16 * CASE WHEN abs(x) < 256 THEN 1::bigint
                         ELSE 1::bigint << (57 - position('1' IN abs(x)::bit(64)::text)) END AS w) s
$$;
DROP FUNCTION rank_bucket_width(bigint);
