ALTER TABLE event_requests
    DROP CONSTRAINT event_requests_quote_stamped,
    DROP COLUMN quoted_at,
    DROP COLUMN price_quote;
