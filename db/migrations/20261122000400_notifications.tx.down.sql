DROP TABLE notification_job_items;
DROP TABLE notification_jobs;
DROP TABLE push_devices;
DROP TABLE notification_settings;
DROP TABLE notification_preferences;
