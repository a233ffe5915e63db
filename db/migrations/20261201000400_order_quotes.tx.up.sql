-- The price an order was quoted when it was made: confirmation, the ticket
-- and every refund use it, so a later change of the event's price (or of
-- free/paid) affects only new requests. NULL on requests made before this
-- migration; those fall back to the event's pricing as before.
ALTER TABLE event_requests
    ADD COLUMN price_quote jsonb,
    ADD COLUMN quoted_at timestamptz,
    ADD CONSTRAINT event_requests_quote_stamped CHECK ((price_quote IS NULL) = (quoted_at IS NULL));
