-- Issue 13: conferences with an agenda no room or speaker can be
-- double-booked in (exclusion constraints, not warnings), verified quests
-- whose points go through the one points ledger, connections between
-- attendees, and enrichment of social profiles.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE conferences (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug            text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    -- db/enums: Conference*.
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'live', 'completed', 'cancelled')),
    start_date      date NOT NULL,
    end_date        date NOT NULL,
    -- IANA zone the agenda is shown in; validated by the API (time.LoadLocation).
    timezone        text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    venue           text NOT NULL DEFAULT '' CHECK (length(venue) <= 300),
    is_featured     boolean NOT NULL DEFAULT false,
    -- Bumped by every agenda or speaker change: the public agenda's ETag.
    agenda_version  bigint NOT NULL DEFAULT 1 CHECK (agenda_version >= 1),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    published_at    timestamptz,
    cancelled_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conferences_dates CHECK (start_date <= end_date),
    CONSTRAINT conferences_length CHECK (end_date - start_date <= 31),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX conferences_slug_key ON conferences (slug);
CREATE INDEX conferences_status_idx ON conferences (status, start_date);
CREATE INDEX conferences_org_idx ON conferences (organization_id, start_date DESC);

ALTER TABLE events ADD COLUMN conference_id uuid REFERENCES conferences (id) ON DELETE SET NULL;
CREATE INDEX events_conference_idx ON events (conference_id) WHERE conference_id IS NOT NULL;

CREATE TABLE conference_attendees (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    conference_id   uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- db/enums: Attendance*.
    status          text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'cancelled')),
    registered_at   timestamptz NOT NULL DEFAULT now(),
    cancelled_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (conference_id, user_id),
    CONSTRAINT conference_attendees_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    FOREIGN KEY (organization_id, conference_id) REFERENCES conferences (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX conference_attendees_user_idx ON conference_attendees (user_id);

CREATE TABLE speakers (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Optional 1:1 with a user account.
    user_id         uuid UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    headline        text NOT NULL DEFAULT '' CHECK (length(headline) <= 200),
    company         text NOT NULL DEFAULT '' CHECK (length(company) <= 200),
    bio             text NOT NULL DEFAULT '' CHECK (length(bio) <= 5000),
    photo_url       text NOT NULL DEFAULT '' CHECK (length(photo_url) <= 2000),
    twitter_handle  text NOT NULL DEFAULT '' CHECK (length(twitter_handle) <= 50),
    linkedin_url    text NOT NULL DEFAULT '' CHECK (length(linkedin_url) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);

CREATE TABLE conference_speakers (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    conference_id   uuid NOT NULL,
    speaker_id      uuid NOT NULL,
    -- db/enums: SpeakerRole*.
    role            text NOT NULL DEFAULT 'speaker' CHECK (role IN ('keynote', 'speaker', 'panelist', 'moderator', 'host', 'workshop_lead')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (conference_id, speaker_id),
    FOREIGN KEY (organization_id, conference_id) REFERENCES conferences (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, speaker_id) REFERENCES speakers (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX conference_speakers_speaker_idx ON conference_speakers (speaker_id);

CREATE TABLE event_speakers (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    speaker_id      uuid NOT NULL,
    role            text NOT NULL DEFAULT 'speaker' CHECK (role IN ('keynote', 'speaker', 'panelist', 'moderator', 'host', 'workshop_lead')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, speaker_id),
    FOREIGN KEY (organization_id, speaker_id) REFERENCES speakers (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX event_speakers_speaker_idx ON event_speakers (speaker_id);

CREATE TABLE conference_agenda (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    conference_id   uuid NOT NULL,
    -- db/enums: Agenda*.
    kind            text NOT NULL CHECK (kind IN ('keynote', 'talk', 'panel', 'workshop', 'break', 'networking', 'other')),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    track           text NOT NULL DEFAULT '' CHECK (length(track) <= 100),
    -- '' = no room (a break everyone takes); rooms are compared as written.
    room            text NOT NULL DEFAULT '' CHECK (length(room) <= 100),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    -- A ticketed workshop is an event of its own.
    event_id        uuid REFERENCES events (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancelled_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conference_agenda_times CHECK (starts_at < ends_at),
    CONSTRAINT conference_agenda_length CHECK (ends_at - starts_at <= interval '24 hours'),
    CONSTRAINT conference_agenda_room_free EXCLUDE USING gist (
        conference_id WITH =, room WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status = 'scheduled' AND room <> ''),
    UNIQUE (organization_id, id),
    UNIQUE (conference_id, id),
    FOREIGN KEY (organization_id, conference_id) REFERENCES conferences (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX conference_agenda_conference_idx ON conference_agenda (conference_id, starts_at);

-- An item must fall within the conference's dates in its time zone.
CREATE FUNCTION conference_agenda_within_dates() RETURNS trigger AS $$
DECLARE
    c conferences%ROWTYPE;
BEGIN
    SELECT * INTO c FROM conferences WHERE id = NEW.conference_id;
    IF (NEW.starts_at AT TIME ZONE c.timezone)::date < c.start_date
       OR ((NEW.ends_at - interval '1 microsecond') AT TIME ZONE c.timezone)::date > c.end_date THEN
        RAISE EXCEPTION 'agenda item % is outside the conference dates % to % (%)',
            NEW.id, c.start_date, c.end_date, c.timezone
            USING ERRCODE = 'check_violation', CONSTRAINT = 'conference_agenda_within_dates';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER conference_agenda_within_dates BEFORE INSERT OR UPDATE OF starts_at, ends_at, conference_id
    ON conference_agenda FOR EACH ROW EXECUTE FUNCTION conference_agenda_within_dates();

-- A speaker's items carry the item's time and status (kept by the trigger
-- below), so the exclusion constraint can refuse a speaker in two places.
CREATE TABLE conference_agenda_speakers (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    conference_id   uuid NOT NULL,
    agenda_id       uuid NOT NULL,
    speaker_id      uuid NOT NULL,
    role            text NOT NULL DEFAULT 'speaker' CHECK (role IN ('keynote', 'speaker', 'panelist', 'moderator', 'host', 'workshop_lead')),
    during          tstzrange NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agenda_id, speaker_id),
    CONSTRAINT conference_agenda_speakers_free EXCLUDE USING gist (speaker_id WITH =, during WITH &&) WHERE (active),
    FOREIGN KEY (organization_id, agenda_id) REFERENCES conference_agenda (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, speaker_id) REFERENCES speakers (organization_id, id) ON DELETE CASCADE
);

-- A new speaker row takes its item's time and status, whatever the insert says.
CREATE FUNCTION conference_agenda_speakers_fill() RETURNS trigger AS $$
BEGIN
    SELECT tstzrange(a.starts_at, a.ends_at), a.status = 'scheduled', a.conference_id
      INTO NEW.during, NEW.active, NEW.conference_id
      FROM conference_agenda a WHERE a.id = NEW.agenda_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER conference_agenda_speakers_fill BEFORE INSERT ON conference_agenda_speakers
    FOR EACH ROW EXECUTE FUNCTION conference_agenda_speakers_fill();

CREATE FUNCTION conference_agenda_speakers_follow() RETURNS trigger AS $$
BEGIN
    UPDATE conference_agenda_speakers
       SET during = tstzrange(NEW.starts_at, NEW.ends_at), active = (NEW.status = 'scheduled')
     WHERE agenda_id = NEW.id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER conference_agenda_speakers_follow AFTER UPDATE OF starts_at, ends_at, status
    ON conference_agenda FOR EACH ROW EXECUTE FUNCTION conference_agenda_speakers_follow();

CREATE TABLE quests (
    id                     uuid PRIMARY KEY,
    organization_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conference_id          uuid,
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description            text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    category               text NOT NULL DEFAULT '' CHECK (length(category) <= 50),
    featured               boolean NOT NULL DEFAULT false,
    points                 integer NOT NULL CHECK (points BETWEEN 0 AND 100000),
    requires_approval      boolean NOT NULL DEFAULT false,
    -- db/enums: Recurrence*.
    recurrence             text NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'daily', 'weekly', 'monthly')),
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL,
    max_participants       integer CHECK (max_participants > 0),
    participants_count     integer NOT NULL DEFAULT 0 CHECK (participants_count >= 0),
    retry_cooldown_seconds integer NOT NULL DEFAULT 0 CHECK (retry_cooldown_seconds BETWEEN 0 AND 604800),
    review_sla_hours       integer NOT NULL DEFAULT 24 CHECK (review_sla_hours BETWEEN 1 AND 720),
    -- db/enums: Quest*.
    status                 text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    created_by             uuid REFERENCES users (id) ON DELETE SET NULL,
    published_at           timestamptz,
    archived_at            timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quests_window CHECK (starts_at < ends_at),
    CONSTRAINT quests_capacity CHECK (max_participants IS NULL OR participants_count <= max_participants),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, conference_id) REFERENCES conferences (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX quests_list_idx ON quests (organization_id, status, featured DESC, starts_at DESC);
CREATE INDEX quests_category_idx ON quests (organization_id, category);
CREATE INDEX quests_conference_idx ON quests (conference_id) WHERE conference_id IS NOT NULL;

CREATE TABLE quest_tasks (
    id                    uuid PRIMARY KEY,
    organization_id       uuid NOT NULL,
    quest_id              uuid NOT NULL,
    position              integer NOT NULL CHECK (position >= 0),
    -- db/enums: TaskKind*.
    kind                  text NOT NULL CHECK (kind IN ('url_visit', 'quiz', 'telegram_join', 'twitter_follow', 'api_check', 'manual_proof', 'secret_code')),
    title                 text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description           text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    required              boolean NOT NULL DEFAULT true,
    -- Per kind: url_visit {"url"}, quiz {"questions":[{"prompt","options","answer"}],"passPercent"},
    -- telegram_join {"chatId"}, twitter_follow {"handle"}, api_check {"url"}; the answers never leave the server.
    config                jsonb NOT NULL DEFAULT '{}',
    -- secret_code: SHA-256 hex of the normalized code.
    code_hash             text CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    -- api_check: the HMAC secret sealed by internal/secretbox.
    secret_ciphertext     bytea,
    secret_key_id         text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (quest_id, position) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (organization_id, id),
    CONSTRAINT quest_tasks_code CHECK ((kind = 'secret_code') = (code_hash IS NOT NULL)),
    CONSTRAINT quest_tasks_secret CHECK ((kind = 'api_check') = (secret_ciphertext IS NOT NULL AND secret_key_id IS NOT NULL)),
    CONSTRAINT quest_tasks_config CHECK (jsonb_typeof(config) = 'object' AND CASE kind
        WHEN 'url_visit' THEN config ? 'url'
        WHEN 'api_check' THEN config ? 'url'
        WHEN 'quiz' THEN jsonb_typeof(config -> 'questions') = 'array' AND jsonb_array_length(config -> 'questions') > 0
        WHEN 'telegram_join' THEN config ? 'chatId'
        WHEN 'twitter_follow' THEN config ? 'handle'
        ELSE true END),
    FOREIGN KEY (organization_id, quest_id) REFERENCES quests (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE quest_registration_requests (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    quest_id        uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- db/enums: Registration*.
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at      timestamptz,
    comment         text NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, quest_id),
    CONSTRAINT quest_registration_decided CHECK ((status = 'pending') = (decided_at IS NULL)),
    FOREIGN KEY (organization_id, quest_id) REFERENCES quests (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX quest_registration_requests_queue_idx ON quest_registration_requests (quest_id, status, created_at);

-- One row per member, task and period (the start of the recurrence window;
-- for a one-off quest the UTC date of the quest's start).
CREATE TABLE user_quest_tasks (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    quest_id        uuid NOT NULL,
    quest_task_id   uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period          date NOT NULL,
    -- db/enums: UserTask*.
    status          text NOT NULL CHECK (status IN ('submitted', 'verifying', 'in_review', 'completed', 'failed')),
    attempts        integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    -- What the member sent (quiz answers, proof); a secret code is stored as its hash only.
    submission      jsonb NOT NULL DEFAULT '{}',
    -- What the verifier answered.
    result          jsonb NOT NULL DEFAULT '{}',
    reviewer_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    review_comment  text NOT NULL DEFAULT '' CHECK (length(review_comment) <= 1000),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    review_due_at   timestamptz,
    reviewed_at     timestamptz,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, quest_task_id, period),
    CONSTRAINT user_quest_tasks_completed CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    FOREIGN KEY (organization_id, quest_task_id) REFERENCES quest_tasks (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, quest_id) REFERENCES quests (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX user_quest_tasks_user_idx ON user_quest_tasks (user_id, quest_id, period);
CREATE INDEX user_quest_tasks_review_idx ON user_quest_tasks (organization_id, review_due_at) WHERE status = 'in_review';
CREATE INDEX user_quest_tasks_completed_idx ON user_quest_tasks (quest_id, completed_at) WHERE status = 'completed';

-- A url_visit task is done by following the member's tracked link: the
-- visit is recorded here and the submission checks it.
CREATE TABLE quest_link_visits (
    organization_id uuid NOT NULL,
    quest_task_id   uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    visited_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (quest_task_id, user_id),
    FOREIGN KEY (organization_id, quest_task_id) REFERENCES quest_tasks (organization_id, id) ON DELETE CASCADE
);

-- One completion per member and period; its points are the ledger entry
-- keyed quest:<quest>:<user>:<period>.
CREATE TABLE quest_completions (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    quest_id        uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period          date NOT NULL,
    points          integer NOT NULL CHECK (points >= 0),
    completed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (quest_id, user_id, period),
    FOREIGN KEY (organization_id, quest_id) REFERENCES quests (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX quest_completions_user_idx ON quest_completions (user_id, completed_at DESC);

CREATE TABLE connections (
    id            uuid PRIMARY KEY,
    requester_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The conference both attend, where the request was made.
    conference_id uuid REFERENCES conferences (id) ON DELETE SET NULL,
    -- db/enums: Connection*.
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'blocked')),
    message       text NOT NULL DEFAULT '' CHECK (length(message) <= 500),
    -- Who blocked, when status = 'blocked'; a block works both ways.
    blocked_by    uuid REFERENCES users (id) ON DELETE CASCADE,
    responded_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT connections_not_self CHECK (requester_id <> recipient_id),
    CONSTRAINT connections_blocked_by CHECK ((status = 'blocked') = (blocked_by IS NOT NULL)),
    CONSTRAINT connections_blocker CHECK (blocked_by IS NULL OR blocked_by IN (requester_id, recipient_id))
);
-- One row per pair, whoever asked first.
CREATE UNIQUE INDEX connections_pair_key ON connections (least(requester_id, recipient_id), greatest(requester_id, recipient_id));
CREATE INDEX connections_requester_idx ON connections (requester_id, status);
CREATE INDEX connections_recipient_idx ON connections (recipient_id, status);

-- Requests a member may send per UTC day.
CREATE TABLE connection_quota (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day        date NOT NULL,
    count      integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    "limit"    integer NOT NULL CHECK ("limit" > 0),
    PRIMARY KEY (user_id, day),
    CONSTRAINT connection_quota_within_limit CHECK (count <= "limit")
);

CREATE TABLE linkedin_meta (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    profile_url text NOT NULL CHECK (length(profile_url) BETWEEN 1 AND 500),
    headline    text NOT NULL DEFAULT '' CHECK (length(headline) <= 300),
    company     text NOT NULL DEFAULT '' CHECK (length(company) <= 200),
    -- db/enums: Enrichment*.
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    input_hash  text NOT NULL,
    result      jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '' CHECK (length(error) <= 1000),
    enriched_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE twitter_meta (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    handle      text NOT NULL CHECK (handle ~ '^[A-Za-z0-9_]{1,15}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE twitter_enrichments (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    input_hash  text NOT NULL,
    result      jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '' CHECK (length(error) <= 1000),
    enriched_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE crypto_enrichments (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    wallet_address text NOT NULL CHECK (wallet_address ~ '^0x[0-9a-fA-F]{40}$'),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    input_hash     text NOT NULL,
    result         jsonb NOT NULL DEFAULT '{}',
    error          text NOT NULL DEFAULT '' CHECK (length(error) <= 1000),
    enriched_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
