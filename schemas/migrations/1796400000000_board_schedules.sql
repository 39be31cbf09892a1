-- Up Migration

-- The schedule changes (seasons, resets) the ingest API accepted, in order. Not a projection: like
-- boards, a replay keeps it. The ingest API refuses events in no season by it, and the query API
-- names current instances and lists seasons by it (board-schedule.ts folds the rows).
CREATE TABLE board_changes (
  board text COLLATE "C" NOT NULL,
  seq bigserial,
  event_id text NOT NULL UNIQUE,
  action text NOT NULL,
  season_id text COLLATE "C",
  starts_at bigint,
  ends_at bigint,
  occurred_at bigint NOT NULL,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (board, seq)
);

-- The board events each partition's projection folded, at their log position: a partition's score
-- events are cut into instances by the schedule its own log holds up to them, so a replay decides
-- every event the same way whatever the partitions' relative progress.
CREATE TABLE partition_board_changes (
  partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  board text COLLATE "C" NOT NULL,
  action text NOT NULL,
  season_id text COLLATE "C",
  starts_at bigint,
  ends_at bigint,
  occurred_at bigint NOT NULL,
  PRIMARY KEY (partition, kafka_offset)
);

-- Down Migration
DROP TABLE partition_board_changes;
DROP TABLE board_changes;
