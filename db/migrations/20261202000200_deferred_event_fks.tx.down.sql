ALTER TABLE event_requests ALTER CONSTRAINT event_requests_event_id_fkey NOT DEFERRABLE;
ALTER TABLE capacity_reservations ALTER CONSTRAINT capacity_reservations_event_id_fkey NOT DEFERRABLE;
ALTER TABLE event_attendees ALTER CONSTRAINT event_attendees_event_id_fkey NOT DEFERRABLE;
ALTER TABLE tickets ALTER CONSTRAINT tickets_event_id_fkey NOT DEFERRABLE;
