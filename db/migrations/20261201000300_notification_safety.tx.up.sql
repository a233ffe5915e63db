-- Issue 8 items 2 and 12: closed notification categories per organization,
-- per-organization daily quotas of SMS and email, and direct notices (one
-- recipient, sent from inside a business change) whose items are delivered
-- by the same worker as a job's items.

-- Categories an organization's owners and admins define, beside the
-- built-in ones every organization has (db.BuiltinCategories). Defined
-- categories can always be muted.
CREATE TABLE notification_categories (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);

-- SMS and email recipients×channels reserved by an organization's jobs per
-- UTC day; a job reserves its whole audience when it is created.
CREATE TABLE notification_quota_usage (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day             date NOT NULL,
    used            bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, day)
);

-- A direct notice: one message to one user about one business event. The
-- key names the event (e.g. ticket-issued/<request id>), so a retried
-- activity finds its notice and sends nothing again.
CREATE TABLE notification_notices (
    id              uuid PRIMARY KEY,
    dedupe_key      text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    sender_user_id  uuid REFERENCES users (id) ON DELETE SET NULL,
    category        text NOT NULL CHECK (length(category) BETWEEN 1 AND 64),
    title           text NOT NULL,
    body            text NOT NULL,
    reference_type  text NOT NULL DEFAULT '',
    reference_id    text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_notices_user_idx ON notification_notices (user_id, created_at DESC);

-- An item belongs to a job or to a notice.
ALTER TABLE notification_job_items
    ALTER COLUMN job_id DROP NOT NULL,
    ADD COLUMN notice_id uuid REFERENCES notification_notices (id) ON DELETE CASCADE,
    ADD CONSTRAINT notification_job_items_one_parent CHECK ((job_id IS NULL) <> (notice_id IS NULL)),
    ADD CONSTRAINT notification_job_items_notice_channel UNIQUE (notice_id, channel);
