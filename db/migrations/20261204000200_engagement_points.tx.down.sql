DROP INDEX IF EXISTS member_profiles_hidden_idx;
