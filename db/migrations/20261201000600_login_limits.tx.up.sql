-- Wrong login codes are counted per phone across every code sent to it, so
-- requesting fresh codes does not buy fresh guesses: too many within the
-- window lock the phone (CONVENE_AUTH_LIMITS wrong_codes and lock). Kept in
-- Postgres so a lock holds across API processes and restarts.
CREATE TABLE user_phone_wrong_codes (
    id           uuid PRIMARY KEY,
    phone_number text NOT NULL,
    otp_id       uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_phone_wrong_codes_phone_idx ON user_phone_wrong_codes (phone_number, created_at DESC);

-- A phone locked for login until locked_until (one row per phone, renewed
-- when it locks again).
CREATE TABLE user_phone_locks (
    phone_number text PRIMARY KEY,
    locked_until timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- InviteUser counts a host's recent direct invites (its per-host rate limit).
CREATE INDEX event_invites_host_created_idx ON event_invites (host_user_id, created_at DESC);

-- WatchNotifications' shared poller reads every new inbox row after a
-- cursor, for all watching users at once.
CREATE INDEX notifications_created_idx ON notifications (created_at, id);
