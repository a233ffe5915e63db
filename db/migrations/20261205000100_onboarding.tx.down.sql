DROP TABLE IF EXISTS onboarding_checkins;
DROP TABLE IF EXISTS buddy_matches;
DROP TABLE IF EXISTS onboarding_tasks;
DROP TABLE IF EXISTS user_onboardings;
DROP TABLE IF EXISTS onboarding_template_tasks;
DROP TABLE IF EXISTS onboarding_templates;
ALTER TABLE engagement_settings DROP COLUMN IF EXISTS buddy_max_load;
DROP INDEX IF EXISTS member_profiles_buddies_idx;
ALTER TABLE member_profiles DROP CONSTRAINT IF EXISTS member_profiles_office_fkey,
    DROP COLUMN IF EXISTS office_id, DROP COLUMN IF EXISTS buddy_available;
DROP TABLE IF EXISTS offices;
DROP TABLE IF EXISTS holidays;
DROP TABLE IF EXISTS holiday_calendars;
