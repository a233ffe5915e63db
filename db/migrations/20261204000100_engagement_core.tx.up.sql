-- Engagement core (seed 001, issue 11): the points ledger and the
-- per-member aggregates it alone maintains, member profiles, badges and
-- their awards, per-organization engagement settings, and the domain
-- event outbox the rules engine reacts to. Every row carries
-- organization_id; composite foreign keys keep references inside one
-- organization.

-- One row per organization; absent means the defaults.
CREATE TABLE engagement_settings (
    organization_id      uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    -- IANA zone that decides month boundaries and streak days.
    time_zone            text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64),
    -- Points each member may give away in recognitions per month.
    monthly_allowance    integer NOT NULL DEFAULT 100 CHECK (monthly_allowance >= 0),
    -- Recognitions above this many points wait for an approver.
    approval_threshold   integer NOT NULL DEFAULT 50 CHECK (approval_threshold >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The engagement face of a member (seed UserProfile).
CREATE TABLE member_profiles (
    organization_id     uuid NOT NULL,
    user_id             uuid NOT NULL,
    title               text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    location            text NOT NULL DEFAULT '' CHECK (length(location) <= 200),
    skills              text[] NOT NULL DEFAULT '{}' CHECK (cardinality(skills) <= 50),
    interests           text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 50),
    leaderboard_visible boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);

-- Aggregates of points_ledger. Only the ledger's trigger changes the
-- points columns (user_points_guard). A member who leaves keeps the row,
-- so the ledger still adds up if they come back.
CREATE TABLE user_points (
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    total_points      bigint NOT NULL DEFAULT 0 CONSTRAINT user_points_total_nonnegative CHECK (total_points >= 0),
    -- points_this_month counts gains of month_key (the first day of the
    -- month in the organization's zone); a row whose month_key is older
    -- has 0 this month.
    points_this_month bigint NOT NULL DEFAULT 0,
    month_key         date NOT NULL DEFAULT date_trunc('month', now())::date,
    lifetime_points   bigint NOT NULL DEFAULT 0 CHECK (lifetime_points >= 0),
    tier              text GENERATED ALWAYS AS (
        CASE WHEN total_points < 500 THEN 'bronze'
             WHEN total_points < 1500 THEN 'silver'
             WHEN total_points < 3000 THEN 'gold'
             ELSE 'platinum' END) STORED,
    -- Consecutive days (organization zone) with a gain.
    current_streak    integer NOT NULL DEFAULT 0 CHECK (current_streak >= 0),
    longest_streak    integer NOT NULL DEFAULT 0 CHECK (longest_streak >= current_streak),
    last_gain_on      date,
    team_id           uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
-- Keyset pages of the leaderboards: all time, this month, per team.
CREATE INDEX user_points_all_time_idx ON user_points (organization_id, total_points DESC, user_id);
CREATE INDEX user_points_month_idx ON user_points (organization_id, month_key, points_this_month DESC, user_id);
CREATE INDEX user_points_team_idx ON user_points (organization_id, team_id, total_points DESC, user_id) WHERE team_id IS NOT NULL;

-- Every change of a member's points, append-only. reference_type and
-- reference_id are null for a manual adjustment.
CREATE TABLE points_ledger (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id         uuid NOT NULL,
    amount          bigint NOT NULL CHECK (amount <> 0),
    -- db/enums: Ledger*.
    type            text NOT NULL CHECK (type IN ('rule', 'badge', 'recognition_sent', 'recognition_received', 'recognition_refund', 'module', 'path', 'challenge', 'quest', 'onboarding', 'activity', 'manual')),
    reference_type  text CHECK (length(reference_type) BETWEEN 1 AND 50),
    reference_id    text CHECK (length(reference_id) BETWEEN 1 AND 200),
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    actor_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 300),
    -- Set by points_ledger_apply, whatever the insert says.
    balance_after   bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT points_ledger_reference CHECK ((reference_type IS NULL) = (reference_id IS NULL)),
    FOREIGN KEY (organization_id, user_id) REFERENCES user_points (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX points_ledger_user_idx ON points_ledger (organization_id, user_id, created_at DESC, id DESC);
CREATE INDEX points_ledger_reference_idx ON points_ledger (organization_id, reference_type, reference_id);

-- points_ledger_apply is the only writer of the aggregates: it locks the
-- member's user_points row (creating it on the first entry), so entries
-- for one member apply one at a time and balance_after is their running
-- sum. A total below zero fails user_points_total_nonnegative.
CREATE FUNCTION points_ledger_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    zone   text;
    today  date;
    month  date;
    up     user_points%ROWTYPE;
BEGIN
    SELECT coalesce((SELECT time_zone FROM engagement_settings WHERE organization_id = NEW.organization_id), 'UTC')
      INTO zone;
    today := (NEW.created_at AT TIME ZONE zone)::date;
    month := date_trunc('month', today)::date;

    INSERT INTO user_points (organization_id, user_id, month_key)
    VALUES (NEW.organization_id, NEW.user_id, month)
    ON CONFLICT (organization_id, user_id) DO NOTHING;
    SELECT * INTO up FROM user_points
     WHERE organization_id = NEW.organization_id AND user_id = NEW.user_id
       FOR UPDATE;

    IF up.month_key <> month THEN
        up.points_this_month := 0;
        up.month_key := month;
    END IF;
    up.total_points := up.total_points + NEW.amount;
    up.points_this_month := up.points_this_month + NEW.amount;
    IF NEW.amount > 0 THEN
        up.lifetime_points := up.lifetime_points + NEW.amount;
        IF up.last_gain_on IS NULL OR up.last_gain_on < today - 1 THEN
            up.current_streak := 1;
        ELSIF up.last_gain_on = today - 1 THEN
            up.current_streak := up.current_streak + 1;
        END IF;
        up.longest_streak := greatest(up.longest_streak, up.current_streak);
        up.last_gain_on := greatest(up.last_gain_on, today);
    END IF;

    UPDATE user_points
       SET total_points = up.total_points,
           points_this_month = up.points_this_month,
           month_key = up.month_key,
           lifetime_points = up.lifetime_points,
           current_streak = up.current_streak,
           longest_streak = up.longest_streak,
           last_gain_on = up.last_gain_on,
           updated_at = now()
     WHERE organization_id = NEW.organization_id AND user_id = NEW.user_id;

    NEW.balance_after := up.total_points;
    RETURN NEW;
END $$;
CREATE TRIGGER points_ledger_apply BEFORE INSERT ON points_ledger
    FOR EACH ROW EXECUTE FUNCTION points_ledger_apply();

-- The ledger is history: no updates; deletes only by cascade (an
-- organization or user deleted), never directly.
CREATE FUNCTION points_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'points_ledger is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER points_ledger_append_only BEFORE UPDATE OR DELETE ON points_ledger
    FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();

-- Points columns change only inside points_ledger_apply (trigger depth
-- 2); team_id and the timestamps may change directly; rows go only by
-- cascade.
CREATE FUNCTION user_points_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- Only by cascade: a direct delete would take the ledger with it.
        IF pg_trigger_depth() > 1 THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'user_points rows are removed only with their organization or user'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF pg_trigger_depth() < 2 AND (
           NEW.total_points IS DISTINCT FROM OLD.total_points
        OR NEW.points_this_month IS DISTINCT FROM OLD.points_this_month
        OR NEW.month_key IS DISTINCT FROM OLD.month_key
        OR NEW.lifetime_points IS DISTINCT FROM OLD.lifetime_points
        OR NEW.current_streak IS DISTINCT FROM OLD.current_streak
        OR NEW.longest_streak IS DISTINCT FROM OLD.longest_streak
        OR NEW.last_gain_on IS DISTINCT FROM OLD.last_gain_on) THEN
        RAISE EXCEPTION 'user_points changes only through points_ledger'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER user_points_guard BEFORE UPDATE OR DELETE ON user_points
    FOR EACH ROW EXECUTE FUNCTION user_points_guard();
CREATE FUNCTION user_points_guard_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 AND (NEW.total_points <> 0 OR NEW.lifetime_points <> 0 OR NEW.points_this_month <> 0) THEN
        RAISE EXCEPTION 'user_points changes only through points_ledger'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER user_points_guard_insert BEFORE INSERT ON user_points
    FOR EACH ROW EXECUTE FUNCTION user_points_guard_insert();

-- Badges are archived, never deleted, so awards keep their badge.
CREATE TABLE badges (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    icon_url        text NOT NULL DEFAULT '' CHECK (length(icon_url) <= 1000),
    -- first: the first domain event of criteria.event_type;
    -- threshold: criteria.count events of criteria.event_type (or
    -- criteria.points lifetime points); streak: criteria.days in a row;
    -- manual: awarded by a person.
    kind            text NOT NULL CHECK (kind IN ('first', 'threshold', 'streak', 'manual')),
    criteria        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(criteria) = 'object'),
    category        text NOT NULL DEFAULT '' CHECK (length(category) <= 50),
    rarity          text NOT NULL DEFAULT 'common' CHECK (rarity IN ('common', 'uncommon', 'rare', 'epic', 'legendary')),
    points_value    integer NOT NULL DEFAULT 0 CHECK (points_value >= 0),
    times_awarded   integer NOT NULL DEFAULT 0 CHECK (times_awarded >= 0),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX badges_name_key ON badges (organization_id, lower(name)) WHERE archived_at IS NULL;
CREATE INDEX badges_automatic_idx ON badges (organization_id, kind) WHERE archived_at IS NULL AND kind <> 'manual';

CREATE TABLE badge_awards (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    badge_id        uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    awarded_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (badge_id, user_id),
    FOREIGN KEY (organization_id, badge_id) REFERENCES badges (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX badge_awards_user_idx ON badge_awards (organization_id, user_id, created_at DESC);

CREATE FUNCTION badge_awards_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE badges SET times_awarded = times_awarded + 1, updated_at = now() WHERE id = NEW.badge_id;
    RETURN NULL;
END $$;
CREATE TRIGGER badge_awards_count AFTER INSERT ON badge_awards
    FOR EACH ROW EXECUTE FUNCTION badge_awards_count();

-- The outbox of business facts other features react to (the rules engine
-- first). Written in the transaction of the fact, with the River job that
-- evaluates it. cause_depth counts how many rule actions led here; the
-- engine stops at 3.
CREATE TABLE domain_events (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type            text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$' AND length(type) <= 100),
    subject_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    reference_type  text CHECK (length(reference_type) BETWEEN 1 AND 50),
    reference_id    text CHECK (length(reference_id) BETWEEN 1 AND 200),
    payload         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    cause_depth     integer NOT NULL DEFAULT 0 CHECK (cause_depth BETWEEN 0 AND 3),
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domain_events_org_idx ON domain_events (organization_id, occurred_at DESC);
-- Counters the rules and badges read: one member's events of one type.
CREATE INDEX domain_events_subject_idx ON domain_events (organization_id, subject_user_id, type, occurred_at);
