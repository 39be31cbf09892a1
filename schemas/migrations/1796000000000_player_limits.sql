-- Up Migration

-- Per-player limits against scripted abuse, per board (null: none). The ingest API stamps them into
-- each score event (ScoreEvent.limits), so the projector and a replay decide by the limits in force
-- when the event was accepted.
ALTER TABLE boards
  ADD COLUMN max_events_per_minute integer CHECK (max_events_per_minute > 0),
  ADD COLUMN max_delta bigint CHECK (max_delta > 0);

-- How many of a player's events on a board the projector let through in each minute of log time
-- (the Kafka timestamp), for boards with max_events_per_minute; written in the batch transaction.
-- A projection: a replay empties it with the rest. Each partition prunes its own minutes long past
-- (partitions move through log time at their own pace: one replaying is minutes behind another).
CREATE TABLE player_minute_counts (
  board text COLLATE "C" NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  minute bigint NOT NULL,
  partition integer NOT NULL,
  events integer NOT NULL,
  PRIMARY KEY (board, user_id, minute)
);
CREATE INDEX player_minute_counts_partition ON player_minute_counts (partition, minute);

-- Each partition's newest minute of a rate-limited event: minutes more than ten behind it are neither
-- counted nor limited (score-projector/src/domain/batch-fold.ts, MINUTES_KEPT), so that pruning old
-- counts never makes a replay decide differently.
CREATE TABLE player_minute_marks (
  partition integer PRIMARY KEY,
  minute bigint NOT NULL
);

-- Down Migration
DROP TABLE player_minute_marks;
DROP TABLE player_minute_counts;
ALTER TABLE boards DROP COLUMN max_delta, DROP COLUMN max_events_per_minute;
