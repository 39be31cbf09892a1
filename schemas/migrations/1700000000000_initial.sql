-- Up Migration

-- Board definitions. sort_order is fixed at creation: it decides the stored sort keys.
CREATE TABLE boards (
  board text COLLATE "C" PRIMARY KEY,
  sort_order text NOT NULL CHECK (sort_order IN ('desc', 'asc')),
  default_op text NOT NULL CHECK (default_op IN ('add', 'set', 'best')),
  periods text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The durable projection: one row per (board, period key, user).
-- rank_score = toRankScore(order, score) (schemas/src/ranking.ts) so one ascending index serves
-- both board orders; user_id is COLLATE "C" to compare by bytes, as Redis does.
-- version is the Kafka offset (in the user's partition) of the last event applied to the row.
CREATE TABLE totals (
  board text COLLATE "C" NOT NULL,
  period_key text COLLATE "C" NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  score bigint NOT NULL,
  rank_score bigint NOT NULL,
  reached_at bigint NOT NULL,
  event_count bigint NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (board, period_key, user_id)
);
CREATE INDEX totals_rank_order ON totals (board, period_key, rank_score, reached_at, user_id);

-- Every eventId ever applied (or dead-lettered), so that a retry is never counted twice.
CREATE TABLE processed_events (
  event_id text COLLATE "C" PRIMARY KEY
);

-- The next offset to project per partition, written in the same transaction as the totals.
-- log_end_offset and caught_up_at are the projector's heartbeat (about every second): the query API
-- derives the projection lag from them (0 when next_offset >= log_end_offset, else now - caught_up_at).
CREATE TABLE projector_offsets (
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  log_end_offset bigint NOT NULL DEFAULT 0,
  caught_up_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
);

-- Projected display profiles (latest profile event in log order wins).
CREATE TABLE profiles (
  user_id text COLLATE "C" PRIMARY KEY,
  username text NOT NULL,
  image_url text,
  region text,
  occurred_at bigint NOT NULL,
  version bigint NOT NULL
);

-- The ingest API's own record of the profiles it has published: it answers 409 for a second
-- POST /v1/users and merges PUT /v1/users/:userId without waiting for the projection.
CREATE TABLE ingest_profiles (
  user_id text COLLATE "C" PRIMARY KEY,
  username text NOT NULL,
  image_url text,
  region text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE ingest_profiles;
DROP TABLE profiles;
DROP TABLE projector_offsets;
DROP TABLE processed_events;
DROP TABLE totals;
DROP TABLE boards;
