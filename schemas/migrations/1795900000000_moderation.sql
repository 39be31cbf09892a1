-- Up Migration

-- Bans and erasures, as the projector folds AdminEvents (in the batch transaction, so at their log
-- position). partition is the event's: a user's events share it, and each partition's batches consult
-- only the rows of their own partition. An unban keeps the row (banned = false) so that the ingest
-- API's incremental refresh (by changed_at) sees it; an erasure is for good (erased stays true).
CREATE TABLE user_bans (
  user_id text COLLATE "C" PRIMARY KEY,
  banned boolean NOT NULL,
  erased boolean NOT NULL DEFAULT false,
  partition integer NOT NULL,
  actor text NOT NULL,
  reason text,
  occurred_at bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_bans_partition ON user_bans (partition) WHERE banned OR erased;
CREATE INDEX user_bans_changed ON user_bans (changed_at);

-- Every admin action folded, with who asked (the API key's name) and where it sits in the log.
-- removed: the totals a remove_entry deleted.
CREATE TABLE admin_audit (
  event_id text COLLATE "C" PRIMARY KEY,
  partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  action text NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  board text COLLATE "C",
  period_key text COLLATE "C",
  actor text NOT NULL,
  reason text,
  occurred_at bigint NOT NULL,
  removed integer NOT NULL DEFAULT 0,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_user ON admin_audit (user_id, occurred_at);
CREATE INDEX admin_audit_board ON admin_audit (board, occurred_at);
CREATE INDEX admin_audit_time ON admin_audit (occurred_at);

-- Every total an admin removal or erasure deleted, with the version of the deletion: a Redis rebuild
-- writes them as tombstones, so that a Redis that missed the deletion (a failed write, a crash before
-- it) does not keep serving the entry. A later total of the same key has a higher version and wins.
CREATE TABLE removed_totals (
  board text COLLATE "C" NOT NULL,
  period_key text COLLATE "C" NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (board, period_key, user_id)
);

-- Each user's key for the personal text sealed in their events (schemas/src/events/sealed-text.ts).
-- Not a projection: a replay keeps it. Erasure deletes the key and leaves the row (key NULL), so that
-- no writer creates a new key for an erased user and seals readable data again.
CREATE TABLE user_keys (
  user_id text COLLATE "C" PRIMARY KEY,
  key bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  erased_at timestamptz,
  CHECK ((key IS NULL) = (erased_at IS NOT NULL))
);

-- Down Migration
DROP TABLE user_keys;
DROP TABLE removed_totals;
DROP TABLE admin_audit;
DROP TABLE user_bans;
