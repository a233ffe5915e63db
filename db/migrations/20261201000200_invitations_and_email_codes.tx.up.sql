-- Consent before membership (issue 8, item 2): adding a person who is not a
-- member creates an invitation; only accepting it writes organization_members,
-- so every membership check and audience query sees accepted members only.
-- An invitation names its invitee by user (phone invites, where the account is
-- created as before) or by email address only (email invites): the latter is
-- matched against the verified email of whoever reads or accepts it, so an
-- invite never reveals whether an address is registered.
CREATE TABLE organization_invitations (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invitee_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    invitee_email   text CHECK (invitee_email IS NULL OR (invitee_email = lower(invitee_email) AND invitee_email ~ '^[^@\s]+@[^@\s]+$')),
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'approver', 'member')),
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    -- notified_at is when the SMS or email went out; re-inviting within a day sends nothing.
    notified_at     timestamptz,
    responded_at    timestamptz,
    -- accepted_by is the user who accepted (for email invites, whoever verified the address).
    accepted_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((invitee_user_id IS NULL) <> (invitee_email IS NULL)),
    CHECK ((status = 'pending') = (responded_at IS NULL))
);
-- One open invitation per organization and person.
CREATE UNIQUE INDEX organization_invitations_open_user_key
    ON organization_invitations (organization_id, invitee_user_id) WHERE status = 'pending' AND invitee_user_id IS NOT NULL;
CREATE UNIQUE INDEX organization_invitations_open_email_key
    ON organization_invitations (organization_id, invitee_email) WHERE status = 'pending' AND invitee_email IS NOT NULL;
CREATE INDEX organization_invitations_user_idx ON organization_invitations (invitee_user_id) WHERE status = 'pending';
CREATE INDEX organization_invitations_email_idx ON organization_invitations (invitee_email) WHERE status = 'pending';
CREATE INDEX organization_invitations_org_idx ON organization_invitations (organization_id, created_at, id) WHERE status = 'pending';

-- Verified email (issue 8, item 3): an address is unique only once verified,
-- so typing someone else's address squats nothing.
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_verified_email_key ON users (lower(email)) WHERE email_verified_at IS NOT NULL;

-- A code sent to prove an email address; the newest unused, unexpired one of
-- a user is their pending email. Codes are stored hashed (salt + pepper).
CREATE TABLE email_verifications (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
    code_salt   bytea NOT NULL,
    code_hash   bytea NOT NULL,
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    expires_at  timestamptz NOT NULL,
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id, created_at DESC);
