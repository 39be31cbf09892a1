-- Up Migration

-- Where a board's periods begin: midnight in time_zone (an IANA name, as Intl reads it) and weeks on
-- week_starts_on. The ingest API stamps both into each score event (ScoreEvent.calendar), so the
-- projector and a replay cut periods as they were cut when the event was accepted; the query API
-- reads them to name the current period. calendar_fixed turns true the first time the board keeps
-- periods and stays so: period instances are named by the calendar from then on.
ALTER TABLE boards
  ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC',
  ADD COLUMN week_starts_on text NOT NULL DEFAULT 'monday'
    CHECK (week_starts_on IN ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')),
  ADD COLUMN calendar_fixed boolean NOT NULL DEFAULT false;
UPDATE boards SET calendar_fixed = true WHERE cardinality(periods) > 0;

-- Down Migration

ALTER TABLE boards DROP COLUMN time_zone, DROP COLUMN week_starts_on, DROP COLUMN calendar_fixed;
