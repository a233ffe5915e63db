ALTER TABLE capacity_reservations DROP COLUMN bucket;

DROP TABLE event_seat_buckets;

ALTER TABLE events DROP COLUMN seat_buckets;
