-- Teams, channels and team challenges (issue 11). Member counts are kept
-- exact by triggers: each join or leave updates its parent row, whose row
-- lock orders concurrent changes. Composite foreign keys keep every
-- reference inside one organization.

CREATE TABLE teams (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- Kept by team_memberships_count.
    member_count    integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX teams_name_key ON teams (organization_id, lower(name));

CREATE TABLE team_memberships (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    team_id         uuid NOT NULL,
    user_id         uuid NOT NULL,
    -- db/enums: TeamRole*.
    role            text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'leader')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (team_id, user_id),
    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX team_memberships_user_idx ON team_memberships (organization_id, user_id);

CREATE FUNCTION team_memberships_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE teams SET member_count = member_count + 1, updated_at = now() WHERE id = NEW.team_id;
    ELSE
        UPDATE teams SET member_count = member_count - 1, updated_at = now() WHERE id = OLD.team_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER team_memberships_count AFTER INSERT OR DELETE ON team_memberships
    FOR EACH ROW EXECUTE FUNCTION team_memberships_count();

-- A member's primary team (user_points.team_id, the team leaderboard) is
-- cleared when the team goes; only team_id, never organization_id.
ALTER TABLE user_points ADD CONSTRAINT user_points_team_fkey
    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id) ON DELETE SET NULL (team_id);

-- team_id null: an organization-wide channel. A closed channel is joined
-- only by its team's leaders and moderators or the organization's admins
-- adding people; an open one by any member who may see it.
CREATE TABLE channels (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id         uuid,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    open            boolean NOT NULL DEFAULT true,
    -- Kept by channel_members_count.
    member_count    integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX channels_name_key ON channels (organization_id, coalesce(team_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

CREATE TABLE channel_members (
    organization_id uuid NOT NULL,
    channel_id      uuid NOT NULL,
    user_id         uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, user_id),
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);

CREATE FUNCTION channel_members_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE channels SET member_count = member_count + 1, updated_at = now() WHERE id = NEW.channel_id;
    ELSE
        UPDATE channels SET member_count = member_count - 1, updated_at = now() WHERE id = OLD.channel_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER channel_members_count AFTER INSERT OR DELETE ON channel_members
    FOR EACH ROW EXECUTE FUNCTION channel_members_count();

-- A contest over a window: team_id null is organization-wide. The
-- workflow team-challenge/<id> owns status after creation.
CREATE TABLE team_challenges (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id         uuid,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- db/enums: ChallengeMetric*.
    metric          text NOT NULL CHECK (metric IN ('points', 'check_ins', 'modules')),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    winner_count    integer NOT NULL CHECK (winner_count BETWEEN 1 AND 100),
    -- points_per_rank[r] is the prize of rank r (ties share the rank).
    points_per_rank integer[] NOT NULL CHECK (cardinality(points_per_rank) = winner_count AND 0 <= ALL (points_per_rank)),
    -- db/enums: Challenge*.
    status          text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'running', 'settling', 'completed', 'cancelled')),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    settled_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX team_challenges_org_idx ON team_challenges (organization_id, starts_at DESC);

CREATE TABLE challenge_results (
    organization_id uuid NOT NULL,
    challenge_id    uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    score           bigint NOT NULL CHECK (score >= 0),
    rank            integer NOT NULL CHECK (rank >= 1),
    points_awarded  integer NOT NULL DEFAULT 0 CHECK (points_awarded >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (challenge_id, user_id),
    FOREIGN KEY (organization_id, challenge_id) REFERENCES team_challenges (organization_id, id) ON DELETE CASCADE
);
