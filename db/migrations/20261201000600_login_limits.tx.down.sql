DROP INDEX IF EXISTS notifications_created_idx;
DROP INDEX IF EXISTS event_invites_host_created_idx;
DROP TABLE IF EXISTS user_phone_locks;
DROP TABLE IF EXISTS user_phone_wrong_codes;
