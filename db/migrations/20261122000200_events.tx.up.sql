-- Events and ticketing (seed 002, with seed 000's waitlist and seed 004's
-- RSVPs folded into join requests). Overselling is impossible at the
-- database level: events.seats_taken counts held + confirmed seats and a
-- CHECK keeps it within capacity; one request yields at most one attendee
-- and one ticket.

CREATE TABLE venues (
    id              uuid PRIMARY KEY,
    organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address         text NOT NULL DEFAULT '',
    latitude        double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
    id                       uuid PRIMARY KEY,
    host_user_id             uuid NOT NULL REFERENCES users (id),
    organization_id          uuid REFERENCES organizations (id) ON DELETE SET NULL,
    title                    text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    slug                     text NOT NULL UNIQUE,
    mood                     text NOT NULL DEFAULT '',
    description              text NOT NULL DEFAULT '',
    venue_id                 uuid REFERENCES venues (id) ON DELETE SET NULL,
    venue_text               text NOT NULL DEFAULT '',
    latitude                 double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude                double precision CHECK (longitude BETWEEN -180 AND 180),
    starts_at                timestamptz NOT NULL,
    ends_at                  timestamptz NOT NULL,
    timezone                 text NOT NULL DEFAULT 'UTC',
    capacity                 integer NOT NULL CHECK (capacity > 0),
    max_seats_per_request    integer NOT NULL DEFAULT 1 CHECK (max_seats_per_request BETWEEN 1 AND 20),
    allowed_genders          text NOT NULL DEFAULT 'all' CHECK (allowed_genders IN ('all', 'male', 'female', 'non_binary')),
    is_paid                  boolean NOT NULL DEFAULT false,
    ticket_price_minor       bigint NOT NULL DEFAULT 0 CHECK (ticket_price_minor >= 0),
    currency                 text NOT NULL DEFAULT 'INR' CHECK (currency ~ '^[A-Z]{3}$'),
    gst_number               text NOT NULL DEFAULT '',
    gst_bps                  integer NOT NULL DEFAULT 0 CHECK (gst_bps BETWEEN 0 AND 10000),
    platform_fee_fixed_minor bigint NOT NULL DEFAULT 0 CHECK (platform_fee_fixed_minor >= 0),
    platform_fee_bps         integer NOT NULL DEFAULT 0 CHECK (platform_fee_bps BETWEEN 0 AND 9999),
    fee_mode                 text NOT NULL DEFAULT 'absorbed' CHECK (fee_mode IN ('absorbed', 'passed')),
    requires_approval        boolean NOT NULL DEFAULT false,
    visibility               text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    status                   text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled', 'completed')),
    hold_minutes             integer NOT NULL DEFAULT 15 CHECK (hold_minutes BETWEEN 1 AND 1440),
    refund_cutoff_hours      integer NOT NULL DEFAULT 24 CHECK (refund_cutoff_hours >= 0),
    cover_images             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(cover_images) = 'array' AND jsonb_array_length(cover_images) <= 3),
    seats_taken              integer NOT NULL DEFAULT 0,
    going_count              integer NOT NULL DEFAULT 0 CHECK (going_count >= 0),
    requests_count           integer NOT NULL DEFAULT 0 CHECK (requests_count >= 0),
    waitlist_count           integer NOT NULL DEFAULT 0 CHECK (waitlist_count >= 0),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_not_oversold CHECK (seats_taken BETWEEN 0 AND capacity),
    CONSTRAINT events_going_within_taken CHECK (going_count <= seats_taken OR status IN ('cancelled', 'completed')),
    CONSTRAINT events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT events_paid_has_price CHECK (is_paid = (ticket_price_minor > 0))
);
CREATE INDEX events_listing_idx ON events (starts_at, id) WHERE status = 'published' AND visibility = 'public';
CREATE INDEX events_host_idx ON events (host_user_id, starts_at DESC);
CREATE INDEX events_org_idx ON events (organization_id);

CREATE TABLE event_interest_map (
    event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    interest_id uuid NOT NULL REFERENCES event_interests (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, interest_id)
);
CREATE INDEX event_interest_map_interest_idx ON event_interest_map (interest_id);

CREATE TABLE event_images (
    id         uuid PRIMARY KEY,
    event_id   uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    image_url  text NOT NULL,
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, position)
);

-- A join request is one ticket order; its workflow is ticket-order/<id>.
CREATE TABLE event_requests (
    id                uuid PRIMARY KEY,
    event_id          uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    requester_user_id uuid NOT NULL REFERENCES users (id),
    seats             integer NOT NULL CHECK (seats BETWEEN 1 AND 20),
    message           text NOT NULL DEFAULT '',
    host_message      text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'waitlisted', 'offered', 'awaiting_payment', 'accepted', 'declined', 'cancelled', 'expired')),
    via_invite_id     uuid,
    waitlisted_at     timestamptz,
    hold_expires_at   timestamptz,
    decided_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- One open request per person and event; a closed one may be followed by a new one.
CREATE UNIQUE INDEX event_requests_one_open_idx ON event_requests (event_id, requester_user_id)
    WHERE status IN ('pending', 'waitlisted', 'offered', 'awaiting_payment', 'accepted');
CREATE INDEX event_requests_event_status_idx ON event_requests (event_id, status, created_at);
CREATE INDEX event_requests_waitlist_idx ON event_requests (event_id, waitlisted_at, id) WHERE status = 'waitlisted';
CREATE INDEX event_requests_requester_idx ON event_requests (requester_user_id, created_at DESC);

CREATE TABLE event_invites (
    id              uuid PRIMARY KEY,
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    host_user_id    uuid NOT NULL REFERENCES users (id),
    invited_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    invite_type     text NOT NULL CHECK (invite_type IN ('direct', 'share_link')),
    token           text NOT NULL UNIQUE,
    message         text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    max_uses        integer NOT NULL DEFAULT 1 CHECK (max_uses >= 0),
    uses            integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_invites_direct_has_invitee CHECK (invite_type = 'share_link' OR invited_user_id IS NOT NULL),
    CONSTRAINT event_invites_uses_within_max CHECK (max_uses = 0 OR uses <= max_uses)
);
CREATE INDEX event_invites_event_idx ON event_invites (event_id);

-- A hold on seats. Exactly one of consumed/released ends it.
CREATE TABLE capacity_reservations (
    id              uuid PRIMARY KEY,
    reservation_key text NOT NULL UNIQUE,
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id),
    request_id      uuid NOT NULL REFERENCES event_requests (id) ON DELETE CASCADE,
    seats           integer NOT NULL CHECK (seats > 0),
    -- The reservation whose release offered these seats to a waitlisted
    -- request; lets a retried release find the offers it already made.
    offered_by      uuid REFERENCES capacity_reservations (id),
    consumed        boolean NOT NULL DEFAULT false,
    released        boolean NOT NULL DEFAULT false,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT capacity_reservations_one_end CHECK (NOT (consumed AND released))
);
-- A request holds at most one live reservation at a time.
CREATE UNIQUE INDEX capacity_reservations_live_idx ON capacity_reservations (request_id) WHERE NOT consumed AND NOT released;

CREATE TABLE event_attendees (
    id                 uuid PRIMARY KEY,
    event_id           uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id            uuid NOT NULL REFERENCES users (id),
    request_id         uuid NOT NULL UNIQUE REFERENCES event_requests (id),
    reservation_id     uuid NOT NULL UNIQUE REFERENCES capacity_reservations (id),
    ticket_type        text NOT NULL DEFAULT 'standard',
    seats              integer NOT NULL CHECK (seats > 0),
    is_paid            boolean NOT NULL DEFAULT false,
    price_paid_minor   bigint NOT NULL DEFAULT 0 CHECK (price_paid_minor >= 0),
    tax_minor          bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
    platform_fee_minor bigint NOT NULL DEFAULT 0 CHECK (platform_fee_minor >= 0),
    currency           text NOT NULL DEFAULT 'INR',
    status             text NOT NULL DEFAULT 'going' CHECK (status IN ('going', 'checked_in', 'cancelled')),
    checked_in_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_attendees_event_idx ON event_attendees (event_id, created_at);
CREATE INDEX event_attendees_user_idx ON event_attendees (user_id, created_at DESC);

-- The signed code is derived from the row and the event key, so only its
-- hash is kept; redemption state lives here and is changed atomically.
CREATE TABLE tickets (
    id            uuid PRIMARY KEY,
    attendee_id   uuid NOT NULL UNIQUE REFERENCES event_attendees (id) ON DELETE CASCADE,
    event_id      uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id),
    seats         integer NOT NULL CHECK (seats > 0),
    code_hash     bytea NOT NULL UNIQUE,
    issued_at     timestamptz NOT NULL,
    redeemed_at   timestamptz,
    redeemed_by   uuid REFERENCES users (id),
    redeem_nonce  text,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tickets_redeemed_has_nonce CHECK ((redeemed_at IS NULL) = (redeem_nonce IS NULL))
);
CREATE INDEX tickets_user_idx ON tickets (user_id, created_at DESC);

CREATE TABLE payment_orders (
    id                  uuid PRIMARY KEY,
    order_reference     text NOT NULL UNIQUE,
    request_id          uuid NOT NULL REFERENCES event_requests (id),
    user_id             uuid NOT NULL REFERENCES users (id),
    event_id            uuid NOT NULL REFERENCES events (id),
    amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    provider            text NOT NULL,
    provider_payment_id text,
    checkout_url        text NOT NULL DEFAULT '',
    provider_response   jsonb NOT NULL DEFAULT '{}',
    status              text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid', 'failed', 'expired', 'refunded')),
    refunded_minor      bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    paid_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_orders_refund_within_amount CHECK (refunded_minor <= amount_minor)
);
CREATE UNIQUE INDEX payment_orders_provider_payment_idx ON payment_orders (provider, provider_payment_id);
-- One payment order per request: the workflow's idempotency key.
CREATE UNIQUE INDEX payment_orders_request_idx ON payment_orders (request_id);

CREATE TABLE payment_refunds (
    id               uuid PRIMARY KEY,
    payment_order_id uuid NOT NULL REFERENCES payment_orders (id),
    idempotency_key  text NOT NULL UNIQUE,
    provider_refund_id text NOT NULL,
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    reason           text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Webhook event ids already processed, per provider: a repeated delivery is
-- acknowledged and changes nothing.
CREATE TABLE payment_webhook_events (
    provider    text NOT NULL,
    event_id    text NOT NULL,
    event_type  text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
