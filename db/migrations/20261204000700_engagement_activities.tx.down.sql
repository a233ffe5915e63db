DROP TABLE IF EXISTS activity_participations;
DROP FUNCTION IF EXISTS activity_participations_check_in_window();
DROP INDEX IF EXISTS events_activity_idx;
DROP INDEX IF EXISTS events_series_occurrence_idx;
ALTER TABLE events
    DROP CONSTRAINT IF EXISTS events_activity_in_org,
    DROP CONSTRAINT IF EXISTS events_series_fk,
    DROP CONSTRAINT IF EXISTS events_activity_fk,
    DROP CONSTRAINT IF EXISTS events_org_id_key,
    DROP COLUMN IF EXISTS external_calendar_id,
    DROP COLUMN IF EXISTS facilitator_user_id,
    DROP COLUMN IF EXISTS series_id,
    DROP COLUMN IF EXISTS activity_id,
    DROP CONSTRAINT events_visibility_check;
UPDATE events SET visibility = 'private' WHERE visibility = 'organization';
ALTER TABLE events ADD CONSTRAINT events_visibility_check CHECK (visibility IN ('public', 'private'));
DROP TABLE IF EXISTS activity_series;
DROP TABLE IF EXISTS activities;
