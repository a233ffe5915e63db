DROP TABLE IF EXISTS safety_alert_acks;
DROP TABLE IF EXISTS safety_alerts;
DROP TABLE IF EXISTS safety_alert_batches;
DROP TABLE IF EXISTS reports;
DROP TABLE IF EXISTS user_bans;
DROP VIEW IF EXISTS user_reputation;
DROP TABLE IF EXISTS ratings;
DROP TABLE IF EXISTS event_rsvps;
DROP TABLE IF EXISTS group_messages;
DROP TABLE IF EXISTS group_invites;
DROP TABLE IF EXISTS group_join_requests;
DROP TABLE IF EXISTS group_members;
DROP TABLE IF EXISTS groups;
DROP TABLE IF EXISTS user_identities;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_rating_sum_range,
    DROP COLUMN IF EXISTS reputation, DROP COLUMN IF EXISTS rating_count, DROP COLUMN IF EXISTS rating_sum;
DROP INDEX IF EXISTS events_event_type_idx;
ALTER TABLE events DROP COLUMN IF EXISTS event_type;
