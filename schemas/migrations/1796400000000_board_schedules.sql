-- Up Migration

-- The schedule changes (seasons, resets) the ingest API accepted, in order: an outbox. A change is
-- recorded (logged = false) before its board event is sent to every partition, and marked logged
-- once all acknowledged; an ingest API sends the pending ones again until they are. Not a
-- projection: like boards, a replay keeps it. The ingest API refuses events in no season by the
-- logged rows, and the query API names current instances and lists seasons by them.
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
  logged boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (board, seq)
);
CREATE INDEX board_changes_pending ON board_changes (board) WHERE NOT logged;

-- The board events each partition's projection folded, in fold order (seq): a partition's score
-- events are cut into instances by the schedule its own log holds up to them, so a replay decides
-- every event the same way whatever the partitions' relative progress. Rows are written in the
-- batch's transaction, so each fold is recorded once; a recreated topic may repeat offsets, hence seq.
CREATE TABLE partition_board_changes (
  seq bigserial PRIMARY KEY,
  partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  board text COLLATE "C" NOT NULL,
  action text NOT NULL,
  season_id text COLLATE "C",
  starts_at bigint,
  ends_at bigint,
  occurred_at bigint NOT NULL
);
CREATE INDEX partition_board_changes_partition ON partition_board_changes (partition, seq);

-- Down Migration
DROP TABLE partition_board_changes;
DROP TABLE board_changes;
