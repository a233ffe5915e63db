-- Activities (issue 11): recurring organization activities reuse events.
-- An activity is a template; scheduling it creates an activity_series and
-- its occurrences as events of the organization (visibility
-- 'organization', free), which members RSVP to through the ordinary
-- ticket order and check in to at the door. activity_participations is
-- the member's side of one occurrence.

CREATE TABLE activities (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    category            text NOT NULL DEFAULT '' CHECK (length(category) <= 50),
    default_duration_minutes integer NOT NULL DEFAULT 60 CHECK (default_duration_minutes BETWEEN 5 AND 1440),
    capacity            integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    facilitator_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    is_active           boolean NOT NULL DEFAULT true,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE INDEX activities_org_idx ON activities (organization_id, created_at DESC, id DESC);

-- A recurrence of an activity. The first occurrence starts at starts_at;
-- the materialize_series job creates the next ones up to a horizon and
-- records how far it got in materialized_until.
CREATE TABLE activity_series (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL,
    activity_id        uuid NOT NULL,
    freq               text NOT NULL CHECK (freq IN ('daily', 'weekly')),
    interval_count     integer NOT NULL DEFAULT 1 CHECK (interval_count BETWEEN 1 AND 52),
    -- Weekdays (0 = Sunday) of a weekly series; empty: the first start's.
    by_weekday         smallint[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(by_weekday) <= 7 AND by_weekday <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]),
    -- At most one of count (occurrences in all) and until ends it.
    occurrence_count   integer CHECK (occurrence_count BETWEEN 1 AND 1000),
    until              timestamptz,
    starts_at          timestamptz NOT NULL,
    duration_minutes   integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 10080),
    timezone           text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
    host_user_id       uuid NOT NULL REFERENCES users (id),
    materialized_until timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, activity_id) REFERENCES activities (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT activity_series_one_end CHECK (occurrence_count IS NULL OR until IS NULL),
    CONSTRAINT activity_series_until_after_start CHECK (until IS NULL OR until >= starts_at)
);
CREATE INDEX activity_series_due_idx ON activity_series (materialized_until);

ALTER TABLE events DROP CONSTRAINT events_visibility_check;
ALTER TABLE events
    ADD CONSTRAINT events_visibility_check CHECK (visibility IN ('public', 'private', 'organization')),
    ADD COLUMN activity_id          uuid,
    ADD COLUMN series_id            uuid,
    ADD COLUMN facilitator_user_id  uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN external_calendar_id text CHECK (length(external_calendar_id) <= 500),
    ADD CONSTRAINT events_org_id_key UNIQUE (organization_id, id),
    ADD CONSTRAINT events_activity_fk FOREIGN KEY (organization_id, activity_id) REFERENCES activities (organization_id, id),
    ADD CONSTRAINT events_series_fk FOREIGN KEY (organization_id, series_id) REFERENCES activity_series (organization_id, id),
    -- An activity's events belong to an organization.
    ADD CONSTRAINT events_activity_in_org CHECK (activity_id IS NULL OR organization_id IS NOT NULL);
-- One event per occurrence of a series: materializing twice creates nothing.
CREATE UNIQUE INDEX events_series_occurrence_idx ON events (series_id, starts_at) WHERE series_id IS NOT NULL;
CREATE INDEX events_activity_idx ON events (activity_id, starts_at) WHERE activity_id IS NOT NULL;

CREATE TABLE activity_participations (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    event_id         uuid NOT NULL,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rsvp             text NOT NULL CHECK (rsvp IN ('going', 'not_going')),
    -- The ticket order of the latest RSVP going. Deferred: the RSVP is
    -- written by the admission's intent, before the order's row.
    request_id       uuid REFERENCES event_requests (id) DEFERRABLE INITIALLY DEFERRED,
    attendance       text CHECK (attendance IN ('attended', 'no_show')),
    check_in_time    timestamptz,
    feedback_rating  smallint CHECK (feedback_rating BETWEEN 1 AND 5),
    feedback_comment text NOT NULL DEFAULT '' CHECK (length(feedback_comment) <= 2000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, user_id),
    FOREIGN KEY (organization_id, event_id) REFERENCES events (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT activity_participations_attended_has_time CHECK ((attendance = 'attended') = (check_in_time IS NOT NULL)),
    CONSTRAINT activity_participations_feedback_attended CHECK (feedback_rating IS NULL OR attendance = 'attended')
);
CREATE INDEX activity_participations_user_idx ON activity_participations (organization_id, user_id, created_at DESC);

-- A check-in time must fall inside the event's door window: from
-- door_opens_minutes_before its start until its end.
CREATE FUNCTION activity_participations_check_in_window() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    opens timestamptz;
    closes timestamptz;
BEGIN
    IF NEW.check_in_time IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT starts_at - make_interval(mins => door_opens_minutes_before), ends_at INTO opens, closes
      FROM events WHERE id = NEW.event_id;
    IF NEW.check_in_time < opens OR NEW.check_in_time > closes THEN
        RAISE EXCEPTION 'check-in time % is outside the event window [%, %]', NEW.check_in_time, opens, closes
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_participations_check_in_window';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activity_participations_check_in_window
    BEFORE INSERT OR UPDATE OF check_in_time ON activity_participations
    FOR EACH ROW EXECUTE FUNCTION activity_participations_check_in_window();
