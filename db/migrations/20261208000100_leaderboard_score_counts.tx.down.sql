DROP TRIGGER IF EXISTS leaderboard_score_counts_apply ON user_points;
DROP FUNCTION IF EXISTS leaderboard_score_counts_apply();
DROP FUNCTION IF EXISTS user_points_boards(bigint, bigint, date, uuid, boolean);
DROP TABLE IF EXISTS leaderboard_score_counts;
DROP FUNCTION IF EXISTS leaderboard_bucket(bigint);
DROP TRIGGER IF EXISTS member_profiles_copy_visibility ON member_profiles;
DROP FUNCTION IF EXISTS member_profiles_copy_visibility();
ALTER TABLE user_points DROP COLUMN IF EXISTS leaderboard_visible;
CREATE INDEX member_profiles_hidden_idx ON member_profiles (organization_id, user_id) WHERE NOT leaderboard_visible;
