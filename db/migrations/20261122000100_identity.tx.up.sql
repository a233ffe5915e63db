-- Identity: users and profiles (seed 002), organizations and membership
-- (seed 003), phone OTPs, refresh tokens, the shared in-app inbox and the
-- audit log. Every domain after this one builds on these tables.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    phone         text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    email         text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    telegram_id   text,
    is_active     boolean NOT NULL DEFAULT true,
    is_staff      boolean NOT NULL DEFAULT false,
    date_joined   timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_phone_key ON users (phone);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_telegram_id_key ON users (telegram_id);

CREATE TABLE user_profiles (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    name             text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    phone_number     text,
    bio              text NOT NULL DEFAULT '' CHECK (length(bio) <= 1000),
    location         text NOT NULL DEFAULT '' CHECK (length(location) <= 200),
    birth_date       date,
    gender           text CHECK (gender IN ('male', 'female', 'non_binary', 'other', 'undisclosed')),
    profile_pictures jsonb NOT NULL DEFAULT '[]'
        CHECK (jsonb_typeof(profile_pictures) = 'array' AND jsonb_array_length(profile_pictures) <= 6),
    is_verified      boolean NOT NULL DEFAULT false,
    is_active        boolean NOT NULL DEFAULT true,
    metadata         jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_interests (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    description text NOT NULL DEFAULT '',
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_profile_interests (
    profile_id  uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    interest_id uuid NOT NULL REFERENCES event_interests (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, interest_id)
);
CREATE INDEX user_profile_interests_interest_idx ON user_profile_interests (interest_id);

-- One row per code sent. Only the newest row of a phone can be verified;
-- requested_ip feeds the per-IP rate limit.
CREATE TABLE user_phone_otps (
    id           uuid PRIMARY KEY,
    phone_number text NOT NULL,
    otp_hash     bytea NOT NULL,
    otp_salt     bytea NOT NULL,
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    is_verified  boolean NOT NULL DEFAULT false,
    requested_ip text NOT NULL DEFAULT '',
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_phone_otps_phone_idx ON user_phone_otps (phone_number, created_at DESC);
CREATE INDEX user_phone_otps_ip_idx ON user_phone_otps (requested_ip, created_at DESC);

-- Refresh tokens rotate on every use; all rotations of one login share a
-- family so presenting a rotated token can revoke the whole chain.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    user_agent  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE organizations (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 3 AND 63),
    description  text NOT NULL DEFAULT '',
    logo_url     text NOT NULL DEFAULT '',
    country_code text CHECK (country_code ~ '^[A-Z]{2}$'),
    settings     jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'archived')),
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_members (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'approver', 'member')),
    added_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

-- The in-app inbox every domain writes to. reference_id is text because it
-- points at rows of many tables.
CREATE TABLE notifications (
    id                uuid PRIMARY KEY,
    recipient_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sender_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    organization_id   uuid REFERENCES organizations (id) ON DELETE CASCADE,
    type              text NOT NULL,
    title             text NOT NULL,
    message           text NOT NULL DEFAULT '',
    reference_type    text NOT NULL DEFAULT '',
    reference_id      text NOT NULL DEFAULT '',
    link              text NOT NULL DEFAULT '',
    is_read           boolean NOT NULL DEFAULT false,
    read_at           timestamptz,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_inbox_idx ON notifications (recipient_user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (recipient_user_id) WHERE NOT is_read;

-- Append-only record of who changed what; written in the same transaction
-- as the change.
CREATE TABLE audit_logs (
    id              uuid PRIMARY KEY,
    actor_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
    object_type     text NOT NULL,
    object_id       text NOT NULL,
    action          text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    ip              text NOT NULL DEFAULT '',
    request_id      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_object_idx ON audit_logs (object_type, object_id);
CREATE INDEX audit_logs_org_idx ON audit_logs (organization_id, created_at DESC);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id, created_at DESC);
