-- Webhook events are recorded before they are processed, outside any
-- transaction held across provider or Temporal calls. processed_at marks
-- an event whose processing finished (a repeat is then acknowledged and
-- changes nothing); claimed_until is the lease of the delivery processing
-- it now, so a concurrent repeat waits and a crashed one is taken over
-- once the lease ends; outcome says what processing did.
ALTER TABLE payment_webhook_events
    ADD COLUMN processed_at  timestamptz,
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN attempts      integer NOT NULL DEFAULT 1,
    ADD COLUMN outcome       text NOT NULL DEFAULT '';

-- Before this migration a row committed only with its processing.
UPDATE payment_webhook_events SET processed_at = updated_at, outcome = 'processed';

-- The door window: check-in opens door_opens_minutes_before the start and
-- closes at the end. Existing events get the default of 4 hours.
ALTER TABLE events
    ADD COLUMN door_opens_minutes_before integer NOT NULL DEFAULT 240
        CONSTRAINT events_door_opens_range CHECK (door_opens_minutes_before BETWEEN 0 AND 10080);

-- A check-in's nonce is honoured again only from the device that made it.
ALTER TABLE tickets ADD COLUMN redeem_device_id text;
