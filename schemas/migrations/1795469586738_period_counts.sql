-- Up Migration

-- Players per (board, period key) = the number of totals rows there, kept by the projector in the
-- same transaction as the totals upsert (+n for the rows it newly inserted). The query API reads
-- `total` from here: count(*) over totals is O(N) (~100 ms at 1M players), this is one index probe.
CREATE TABLE period_counts (
  board text COLLATE "C" NOT NULL,
  period_key text COLLATE "C" NOT NULL,
  players bigint NOT NULL,
  PRIMARY KEY (board, period_key)
);

-- Holds totals still while counting, so that no projector batch commits between the count and the
-- table becoming visible (such a batch would not yet add to period_counts).
LOCK TABLE totals IN SHARE MODE;
INSERT INTO period_counts (board, period_key, players)
SELECT board, period_key, count(*) FROM totals GROUP BY board, period_key;

-- Down Migration
DROP TABLE period_counts;
