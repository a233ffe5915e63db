DROP TABLE IF EXISTS challenge_results;
DROP TABLE IF EXISTS team_challenges;
DROP TABLE IF EXISTS channel_members;
DROP FUNCTION IF EXISTS channel_members_count();
DROP TABLE IF EXISTS channels;
ALTER TABLE user_points DROP CONSTRAINT IF EXISTS user_points_team_fkey;
DROP TABLE IF EXISTS team_memberships;
DROP FUNCTION IF EXISTS team_memberships_count();
DROP TABLE IF EXISTS teams;
