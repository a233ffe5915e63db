ALTER TABLE payment_webhook_events
    DROP COLUMN processed_at,
    DROP COLUMN claimed_until,
    DROP COLUMN attempts,
    DROP COLUMN outcome;
