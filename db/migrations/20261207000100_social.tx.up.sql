-- Issue 14: social meetups. Groups inside events with a live chat whose
-- order is the database's (a per-group sequence taken under the group's
-- row lock), RSVPs beside the ticketed "going", ratings only between
-- co-attendees with the reputation kept in the same transaction, bans and
-- reports, safety alerts whose escalation is a durable workflow, and
-- identities from an OIDC provider.

ALTER TABLE events ADD COLUMN event_type text NOT NULL DEFAULT 'other'
    CHECK (event_type IN ('bar', 'club', 'concert', 'party', 'restaurant', 'outdoor', 'sports', 'other'));
CREATE INDEX events_event_type_idx ON events (event_type, starts_at);

-- The reputation is kept by RateUser in the rating's transaction; the view
-- user_reputation recomputes it from the ratings to prove it.
ALTER TABLE users
    ADD COLUMN rating_sum   integer NOT NULL DEFAULT 0,
    ADD COLUMN rating_count integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    ADD COLUMN reputation   numeric(3, 2) NOT NULL DEFAULT 0 CHECK (reputation BETWEEN 0 AND 5),
    ADD CONSTRAINT users_rating_sum_range CHECK (rating_sum BETWEEN rating_count AND 5 * rating_count);
CREATE INDEX users_reputation_idx ON users (reputation);

-- One row per identity at an OIDC provider (the seed's keycloak_id).
CREATE TABLE user_identities (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer         text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
    subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    -- The provider's email claim when it was verified there; informative
    -- only: an account is never linked by email alone.
    email          text,
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_identities_issuer_subject UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

CREATE TABLE groups (
    id           uuid PRIMARY KEY,
    event_id     uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 255),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    max_members  integer NOT NULL DEFAULT 10 CHECK (max_members BETWEEN 1 AND 1000),
    is_private   boolean NOT NULL DEFAULT false,
    -- Kept only by db.AddGroupMember / db.RemoveGroupMember, in the
    -- membership's transaction.
    member_count integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    -- The last chat change sequence handed out (db.NextGroupSeq, under the
    -- row lock): commit order is sequence order.
    last_seq     bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    deleted_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT groups_member_count_max CHECK (member_count <= max_members)
);
CREATE INDEX groups_event_idx ON groups (event_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE group_members (
    group_id  uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_admin  boolean NOT NULL DEFAULT false,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id, joined_at);

-- db/enums: JoinRequest*.
CREATE TABLE group_join_requests (
    id         uuid PRIMARY KEY,
    group_id   uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message    text NOT NULL DEFAULT '' CHECK (length(message) <= 500),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined', 'cancelled')),
    decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT group_join_requests_decided CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX group_join_requests_one_pending ON group_join_requests (group_id, user_id) WHERE status = 'pending';
CREATE INDEX group_join_requests_group_idx ON group_join_requests (group_id, created_at, id);

-- db/enums: Invite*.
CREATE TABLE group_invites (
    id           uuid PRIMARY KEY,
    group_id     uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    responded_at timestamptz,
    CONSTRAINT group_invites_not_self CHECK (user_id <> invited_by),
    CONSTRAINT group_invites_responded CHECK ((status = 'pending') = (responded_at IS NULL))
);
CREATE UNIQUE INDEX group_invites_one_pending ON group_invites (group_id, user_id) WHERE status = 'pending';
CREATE INDEX group_invites_user_idx ON group_invites (user_id, created_at) WHERE status = 'pending';

-- The seed's messages. seq orders sends; change_seq orders every change
-- (send, edit, delete), both from groups.last_seq, so a watcher resumes
-- with change_seq > the last it saw and misses nothing.
CREATE TABLE group_messages (
    id                uuid PRIMARY KEY,
    group_id          uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    sender_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The client's ID for the send: a retried SendMessage finds the row.
    client_message_id text NOT NULL CHECK (length(client_message_id) BETWEEN 1 AND 64),
    content           text NOT NULL,
    seq               bigint NOT NULL CHECK (seq > 0),
    change_seq        bigint NOT NULL CHECK (change_seq >= seq),
    is_edited         boolean NOT NULL DEFAULT false,
    sent_at           timestamptz NOT NULL DEFAULT now(),
    edited_at         timestamptz,
    deleted_at        timestamptz,
    deleted_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT group_messages_content CHECK (
        (deleted_at IS NULL AND char_length(content) BETWEEN 1 AND 2000 AND btrim(content, E' \t\r\n') <> '')
        OR (deleted_at IS NOT NULL AND content = '')),
    CONSTRAINT group_messages_client_id UNIQUE (sender_id, client_message_id),
    CONSTRAINT group_messages_seq UNIQUE (group_id, seq),
    CONSTRAINT group_messages_change_seq UNIQUE (group_id, change_seq)
);

-- RSVPs that take no seat; "going" is a ticket order (event_requests).
CREATE TABLE event_rsvps (
    event_id   uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status     text NOT NULL CHECK (status IN ('interested', 'not_going')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_rsvps_user_idx ON event_rsvps (user_id, updated_at);
CREATE INDEX event_rsvps_status_idx ON event_rsvps (event_id, status, user_id);

CREATE TABLE ratings (
    id            uuid PRIMARY KEY,
    rated_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rater_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id      uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    rating        integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ratings_once UNIQUE (rater_user_id, rated_user_id, event_id),
    CONSTRAINT ratings_not_self CHECK (rater_user_id <> rated_user_id)
);
CREATE INDEX ratings_rated_idx ON ratings (rated_user_id, created_at);

CREATE VIEW user_reputation AS
SELECT u.id                                   AS user_id,
       COALESCE(AVG(r.rating), 0)::numeric(3, 2) AS average_rating,
       COUNT(r.id)                            AS total_ratings
FROM users u
LEFT JOIN ratings r ON r.rated_user_id = u.id
GROUP BY u.id;

-- db/enums: BanScope*. A platform ban has no target; an event ban names
-- the event, a group ban the group.
CREATE TABLE user_bans (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      text NOT NULL CHECK (scope IN ('platform', 'event', 'group')),
    event_id   uuid REFERENCES events (id) ON DELETE CASCADE,
    group_id   uuid REFERENCES groups (id) ON DELETE CASCADE,
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    banned_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at timestamptz,
    lifted_at  timestamptz,
    lifted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_bans_target CHECK (
        (scope = 'platform' AND event_id IS NULL AND group_id IS NULL)
        OR (scope = 'event' AND event_id IS NOT NULL AND group_id IS NULL)
        OR (scope = 'group' AND group_id IS NOT NULL AND event_id IS NULL)),
    CONSTRAINT user_bans_expiry CHECK (expires_at IS NULL OR expires_at > created_at)
);
CREATE UNIQUE INDEX user_bans_one_open ON user_bans (user_id, scope, event_id, group_id) NULLS NOT DISTINCT
    WHERE lifted_at IS NULL;
CREATE INDEX user_bans_event_idx ON user_bans (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX user_bans_group_idx ON user_bans (group_id) WHERE group_id IS NOT NULL;

-- db/enums: ReportTarget*, ReportStatus*. A message report also names the
-- message's sender, so both kinds are listed by the reported user.
CREATE TABLE reports (
    id               uuid PRIMARY KEY,
    reporter_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_type      text NOT NULL CHECK (target_type IN ('message', 'user')),
    message_id       uuid REFERENCES group_messages (id) ON DELETE CASCADE,
    reported_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Where it happened: decides who may resolve it (group admins, the
    -- event's host and organization admins, staff).
    event_id         uuid REFERENCES events (id) ON DELETE CASCADE,
    group_id         uuid REFERENCES groups (id) ON DELETE CASCADE,
    reason           text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    resolved_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    resolved_at      timestamptz,
    resolution_note  text NOT NULL DEFAULT '' CHECK (length(resolution_note) <= 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reports_target CHECK ((target_type = 'message') = (message_id IS NOT NULL)),
    CONSTRAINT reports_not_self CHECK (reporter_id <> reported_user_id),
    CONSTRAINT reports_resolved CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX reports_one_open ON reports (reporter_id, target_type, message_id, reported_user_id) NULLS NOT DISTINCT
    WHERE status = 'open';
CREATE INDEX reports_open_idx ON reports (status, created_at, id);

-- One alert sent to one or more groups: the workflow safety-alert/<id>.
-- db/enums: AlertStatus*, AlertType*, AlertOutcome*.
CREATE TABLE safety_alert_batches (
    id                uuid PRIMARY KEY,
    sender_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_request_id text NOT NULL CHECK (length(client_request_id) BETWEEN 1 AND 64),
    alert_type        text NOT NULL CHECK (alert_type IN ('help', 'medical', 'harassment', 'other')),
    message           text NOT NULL DEFAULT '' CHECK (length(message) <= 1000),
    latitude          numeric(10, 8) CHECK (latitude BETWEEN -90 AND 90),
    longitude         numeric(11, 8) CHECK (longitude BETWEEN -180 AND 180),
    status            text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'acknowledged', 'escalated_host', 'escalated_staff', 'resolved')),
    acknowledged_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    acknowledged_at   timestamptz,
    resolved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    resolved_at       timestamptz,
    outcome           text CHECK (outcome IN ('safe', 'assisted', 'false_alarm', 'other')),
    notified_count    integer NOT NULL DEFAULT 0 CHECK (notified_count >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT safety_alert_batches_request UNIQUE (sender_id, client_request_id),
    CONSTRAINT safety_alert_batches_location CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CONSTRAINT safety_alert_batches_resolved CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND outcome IS NOT NULL))
);
CREATE INDEX safety_alert_batches_sender_idx ON safety_alert_batches (sender_id, created_at DESC);
CREATE INDEX safety_alert_batches_open_idx ON safety_alert_batches (status, created_at) WHERE status <> 'resolved';

-- The seed's safety_alerts: one row per target group of a batch.
CREATE TABLE safety_alerts (
    id                  uuid PRIMARY KEY,
    batch_id            uuid NOT NULL REFERENCES safety_alert_batches (id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id            uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    event_id            uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    latitude            numeric(10, 8),
    longitude           numeric(11, 8),
    alert_type          text NOT NULL DEFAULT 'help' CHECK (alert_type IN ('help', 'medical', 'harassment', 'other')),
    message             text NOT NULL DEFAULT '' CHECK (length(message) <= 1000),
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    resolved_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT safety_alerts_batch_group UNIQUE (batch_id, group_id)
);
CREATE INDEX safety_alerts_group_idx ON safety_alerts (group_id, created_at);
CREATE INDEX safety_alerts_event_idx ON safety_alerts (event_id, created_at);
CREATE INDEX safety_alerts_created_idx ON safety_alerts (created_at);

CREATE TABLE safety_alert_acks (
    batch_id        uuid NOT NULL REFERENCES safety_alert_batches (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, user_id)
);
