DELETE FROM notification_job_items WHERE job_id IS NULL;
ALTER TABLE notification_job_items
    DROP CONSTRAINT notification_job_items_notice_channel,
    DROP CONSTRAINT notification_job_items_one_parent,
    DROP COLUMN notice_id,
    ALTER COLUMN job_id SET NOT NULL;
DROP TABLE notification_notices;
DROP TABLE notification_quota_usage;
DROP TABLE notification_categories;
