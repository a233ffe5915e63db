-- Notifications (seed 000's notification_jobs → items → user notifications,
-- seeds 002/003's in-app inbox): per-user preferences and quiet hours, push
-- devices, and admin jobs fanned out to one item per recipient and channel.

CREATE TABLE notification_preferences (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category   text NOT NULL CHECK (length(category) BETWEEN 1 AND 64),
    channel    text NOT NULL CHECK (channel IN ('in_app', 'push', 'email', 'sms', 'telegram')),
    enabled    boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, category, channel)
);

-- Quiet hours in the user's own time zone; delivery waits for the window's end.
CREATE TABLE notification_settings (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    quiet_start text CHECK (quiet_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    quiet_end   text CHECK (quiet_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    timezone    text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_settings_quiet_pair CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

CREATE TABLE push_devices (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token        text NOT NULL UNIQUE,
    platform     text NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_devices_user_idx ON push_devices (user_id) WHERE disabled_at IS NULL;

CREATE TABLE notification_jobs (
    id              uuid PRIMARY KEY,
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      uuid NOT NULL REFERENCES users (id),
    criteria        jsonb NOT NULL,
    channels        text[] NOT NULL CHECK (cardinality(channels) BETWEEN 1 AND 5
                        AND channels <@ ARRAY['in_app', 'push', 'email', 'sms', 'telegram']),
    category        text NOT NULL,
    title_template  text NOT NULL,
    body_template   text NOT NULL,
    variables       jsonb NOT NULL DEFAULT '{}',
    scheduled_at    timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('draft', 'scheduled', 'running', 'completed', 'cancelled', 'failed')),
    -- Keyset cursor of audience resolution: the last user id paged in.
    cursor_user_id  uuid,
    resolved_count  bigint NOT NULL DEFAULT 0,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_jobs_org_idx ON notification_jobs (organization_id, created_at DESC);

CREATE TABLE notification_job_items (
    id                  uuid PRIMARY KEY,
    job_id              uuid NOT NULL REFERENCES notification_jobs (id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel             text NOT NULL CHECK (channel IN ('in_app', 'push', 'email', 'sms', 'telegram')),
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'cancelled')),
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text NOT NULL DEFAULT '',
    skip_reason         text NOT NULL DEFAULT '',
    provider_message_id text NOT NULL DEFAULT '',
    deliver_after       timestamptz,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, user_id, channel)
);
CREATE INDEX notification_job_items_status_idx ON notification_job_items (job_id, status);
