ALTER TABLE tickets DROP COLUMN redeem_device_id;

ALTER TABLE events DROP COLUMN door_opens_minutes_before;

ALTER TABLE payment_webhook_events
    DROP COLUMN processed_at,
    DROP COLUMN claimed_until,
    DROP COLUMN attempts,
    DROP COLUMN outcome;
