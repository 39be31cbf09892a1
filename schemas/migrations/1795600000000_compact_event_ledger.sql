-- Up Migration

-- The eventId ledger, compact: one row per batch and home shard, holding the 16-byte keys of the
-- events the batch applied (md5 of userId NUL eventId) with their log times (20 bytes per event),
-- instead of one B-tree row per event. An event's home shard is the partition its userId hashes to
-- among `ledger_shards.shards` (the topic's partition count when the ledger began), so one user's
-- eventIds always meet in one shard, whichever partition they arrive on. Rows of a shard are written
-- only under that shard's projector_offsets row lock, with seq = ledger_head + 1, so a projector
-- that sees a ledger_head it does not know reads exactly the rows it missed.
CREATE TABLE event_ledger (
  topic text NOT NULL,
  shard integer NOT NULL,
  seq bigint NOT NULL,
  -- the newest log time (ms) among its entries, for pruning past DEDUP_WINDOW
  log_time bigint NOT NULL,
  entries bytea NOT NULL,
  PRIMARY KEY (topic, shard, seq)
);

CREATE TABLE ledger_shards (
  topic text PRIMARY KEY,
  shards integer NOT NULL CHECK (shards > 0)
);

-- ledger_epoch is drawn anew whenever a checkpoint row is created, so a projector holding a shard's
-- ledger in memory notices that the row (and with it the ledger) was emptied and recreated by a
-- replay, even if the new head happens to equal the one it knew.
ALTER TABLE projector_offsets
  ADD COLUMN ledger_head bigint NOT NULL DEFAULT 0,
  ADD COLUMN ledger_epoch bigint NOT NULL DEFAULT floor(random() * 9007199254740991)::bigint;

-- processed_events stays as it is: eventIds recorded there before this migration are still checked
-- (while the table holds any row), and nothing new is written to it.

-- Down Migration
ALTER TABLE projector_offsets DROP COLUMN ledger_head, DROP COLUMN ledger_epoch;
DROP TABLE ledger_shards;
DROP TABLE event_ledger;
