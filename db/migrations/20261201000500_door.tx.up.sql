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
