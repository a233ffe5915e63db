-- Seat buckets (issue 9 §2): a large event's capacity is split into
-- seat_buckets rows so admissions claim seats in different rows instead of
-- queueing on the one event row. seat_buckets = 1 is the single-row mode:
-- the event row counts every seat. For a bucketed event the buckets count
-- the seats taken (and the going and request counts of admissions); the
-- figures shown are the event row's plus the buckets' sums. The waitlist
-- stays on the event row.
ALTER TABLE events
    ADD COLUMN seat_buckets integer NOT NULL DEFAULT 1
        CONSTRAINT events_seat_buckets_range CHECK (seat_buckets BETWEEN 1 AND 64);

CREATE TABLE event_seat_buckets (
    event_id       uuid    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bucket         integer NOT NULL CHECK (bucket >= 0),
    capacity       integer NOT NULL CHECK (capacity >= 0),
    seats_taken    integer NOT NULL DEFAULT 0,
    going_count    integer NOT NULL DEFAULT 0 CHECK (going_count >= 0),
    requests_count integer NOT NULL DEFAULT 0 CHECK (requests_count >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, bucket),
    CONSTRAINT event_seat_buckets_not_oversold CHECK (seats_taken BETWEEN 0 AND capacity)
);

-- The bucket a hold's seats came from, so releasing it gives them back
-- there; NULL for a single-row event.
ALTER TABLE capacity_reservations ADD COLUMN bucket integer;
