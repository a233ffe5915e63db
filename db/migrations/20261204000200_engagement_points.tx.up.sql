-- Points reads (issue 11): the few members who hide from leaderboards,
-- found without reading every profile of the organization, so a rank can
-- subtract the hidden members ahead of the caller.
CREATE INDEX member_profiles_hidden_idx ON member_profiles (organization_id, user_id) WHERE NOT leaderboard_visible;
