-- Up Migration

-- An entry's details: the metadata (JSON text, at most 1 KB; opened when the ingest API sealed it)
-- of the latest event applied to the total, or NULL when that event had none. Erasing or removing
-- the entry deletes the row, and its details with it.
ALTER TABLE totals ADD COLUMN details text;

-- Down Migration

ALTER TABLE totals DROP COLUMN details;
