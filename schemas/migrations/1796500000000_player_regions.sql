-- Up Migration

-- Each player's region as the projector folded it (regions.ts), and the region code their profile
-- last named: a profile moves the player only when that changes, a score event naming a region
-- always. partition is the events': a user's events share it, and each partition's batches consult
-- only their own rows. A player with neither has no row.
CREATE TABLE player_regions (
  user_id text COLLATE "C" PRIMARY KEY,
  region text COLLATE "C",
  profile_region text COLLATE "C",
  partition integer NOT NULL
);
CREATE INDEX player_regions_partition ON player_regions (partition);

-- Down Migration
DROP TABLE player_regions;
