-- Issue 12: 30-day onboarding. Offices carry the calendar reminders and
-- milestones follow (zone, workdays, send window, holidays); a template's
-- tasks are copied into each onboarding at its start, so editing a
-- template never changes a running onboarding.

CREATE TABLE holiday_calendars (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX holiday_calendars_name_key ON holiday_calendars (organization_id, lower(name));

CREATE TABLE holidays (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    calendar_id     uuid NOT NULL,
    date            date NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (calendar_id, date),
    FOREIGN KEY (organization_id, calendar_id) REFERENCES holiday_calendars (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE offices (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- IANA zone, checked in Go (time.LoadLocation) before it is written.
    time_zone           text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    -- ISO weekdays, 1 = Monday .. 7 = Sunday.
    workdays            smallint[] NOT NULL DEFAULT '{1,2,3,4,5}'
                        CHECK (cardinality(workdays) BETWEEN 1 AND 7 AND workdays <@ '{1,2,3,4,5,6,7}'::smallint[]),
    send_window_start   time NOT NULL DEFAULT '09:00',
    send_window_end     time NOT NULL DEFAULT '17:00',
    holiday_calendar_id uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id),
    CHECK (send_window_start < send_window_end),
    FOREIGN KEY (organization_id, holiday_calendar_id) REFERENCES holiday_calendars (organization_id, id)
);
CREATE UNIQUE INDEX offices_name_key ON offices (organization_id, lower(name));

ALTER TABLE member_profiles
    ADD COLUMN office_id uuid,
    ADD COLUMN buddy_available boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT member_profiles_office_fkey FOREIGN KEY (organization_id, office_id) REFERENCES offices (organization_id, id);
CREATE INDEX member_profiles_buddies_idx ON member_profiles (organization_id) WHERE buddy_available;

ALTER TABLE engagement_settings
    ADD COLUMN buddy_max_load integer NOT NULL DEFAULT 2 CHECK (buddy_max_load BETWEEN 1 AND 10);

CREATE TABLE onboarding_templates (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- '' is a general template; a hire whose role has no template gets the default.
    job_role            text NOT NULL DEFAULT '' CHECK (length(job_role) <= 100),
    is_default          boolean NOT NULL DEFAULT false,
    -- Bumped by every edit; an onboarding records the version it copied.
    version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    completion_badge_id uuid,
    buddy_points        integer NOT NULL DEFAULT 0 CHECK (buddy_points BETWEEN 0 AND 100000),
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    archived_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, completion_badge_id) REFERENCES badges (organization_id, id)
);
CREATE UNIQUE INDEX onboarding_templates_name_key ON onboarding_templates (organization_id, lower(name)) WHERE archived_at IS NULL;
CREATE UNIQUE INDEX onboarding_templates_default_key ON onboarding_templates (organization_id) WHERE is_default AND archived_at IS NULL;
CREATE UNIQUE INDEX onboarding_templates_role_key ON onboarding_templates (organization_id, lower(job_role))
    WHERE job_role <> '' AND archived_at IS NULL;

CREATE TABLE onboarding_template_tasks (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    template_id     uuid NOT NULL,
    key             text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- db/enums: OnboardingRole*.
    assignee_role   text NOT NULL CHECK (assignee_role IN ('hire', 'buddy', 'manager', 'hr')),
    -- db/enums: Milestone*.
    milestone       text NOT NULL CHECK (milestone IN ('preboarding', 'day1', 'day7', 'day14', 'day30')),
    -- Business days from day 1 (negative: before it, for preboarding).
    due_offset_days integer NOT NULL CHECK (due_offset_days BETWEEN -30 AND 60),
    required        boolean NOT NULL DEFAULT true,
    position        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (template_id, key),
    FOREIGN KEY (organization_id, template_id) REFERENCES onboarding_templates (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE user_onboardings (
    id                   uuid PRIMARY KEY,
    organization_id      uuid NOT NULL,
    user_id              uuid NOT NULL,
    template_id          uuid NOT NULL,
    template_version     integer NOT NULL CHECK (template_version >= 1),
    manager_user_id      uuid NOT NULL,
    buddy_user_id        uuid,
    hr_user_id           uuid NOT NULL,
    job_role             text NOT NULL DEFAULT '' CHECK (length(job_role) <= 100),
    office_id            uuid,
    team_id              uuid,
    start_date           date NOT NULL,
    -- db/enums: Onboarding*.
    status               text NOT NULL DEFAULT 'preboarding'
                         CHECK (status IN ('preboarding', 'active', 'behind', 'paused', 'completed', 'cancelled')),
    milestone            text NOT NULL DEFAULT 'preboarding' CHECK (milestone IN ('preboarding', 'day1', 'day7', 'day14', 'day30')),
    progress             smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    -- Business days spent paused; milestones and open dues move by them.
    paused_business_days integer NOT NULL DEFAULT 0 CHECK (paused_business_days >= 0),
    paused_at            timestamptz,
    pause_until          timestamptz,
    pause_reason         text NOT NULL DEFAULT '' CHECK (length(pause_reason) <= 500),
    completed_at         timestamptz,
    cancelled_at         timestamptz,
    created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id),
    CONSTRAINT user_onboardings_manager_not_hire CHECK (manager_user_id <> user_id),
    CONSTRAINT user_onboardings_buddy_not_hire_or_manager CHECK (buddy_user_id <> user_id AND buddy_user_id <> manager_user_id),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CHECK ((status = 'paused') = (paused_at IS NOT NULL)),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, manager_user_id) REFERENCES organization_members (organization_id, user_id),
    FOREIGN KEY (organization_id, buddy_user_id) REFERENCES organization_members (organization_id, user_id),
    FOREIGN KEY (organization_id, hr_user_id) REFERENCES organization_members (organization_id, user_id),
    FOREIGN KEY (organization_id, template_id) REFERENCES onboarding_templates (organization_id, id),
    FOREIGN KEY (organization_id, office_id) REFERENCES offices (organization_id, id),
    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id)
);
-- One open onboarding per person, in any organization: the workflow ID is
-- onboarding/<user id>.
CREATE UNIQUE INDEX user_onboardings_open_key ON user_onboardings (user_id) WHERE status NOT IN ('completed', 'cancelled');
CREATE INDEX user_onboardings_org_status_idx ON user_onboardings (organization_id, status, start_date);
CREATE INDEX user_onboardings_manager_idx ON user_onboardings (organization_id, manager_user_id);

CREATE TABLE onboarding_tasks (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    onboarding_id    uuid NOT NULL,
    key              text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    assignee_role    text NOT NULL CHECK (assignee_role IN ('hire', 'buddy', 'manager', 'hr')),
    -- Null only while a buddy task waits for a buddy.
    assignee_user_id uuid,
    milestone        text NOT NULL CHECK (milestone IN ('preboarding', 'day1', 'day7', 'day14', 'day30')),
    due_at           timestamptz NOT NULL,
    required         boolean NOT NULL DEFAULT true,
    -- db/enums: Task*.
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'skipped', 'cancelled')),
    completed_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    completed_at     timestamptz,
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    reminder_level   smallint NOT NULL DEFAULT 0 CHECK (reminder_level BETWEEN 0 AND 3),
    last_reminded_at timestamptz,
    position         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (onboarding_id, key),
    CHECK (status <> 'done' OR completed_at IS NOT NULL),
    FOREIGN KEY (organization_id, onboarding_id) REFERENCES user_onboardings (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, assignee_user_id) REFERENCES organization_members (organization_id, user_id)
);
CREATE INDEX onboarding_tasks_due_idx ON onboarding_tasks (organization_id, status, due_at);
CREATE INDEX onboarding_tasks_assignee_idx ON onboarding_tasks (assignee_user_id, status) WHERE status = 'pending';

CREATE TABLE buddy_matches (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id         uuid NOT NULL,
    buddy_user_id   uuid NOT NULL,
    onboarding_id   uuid NOT NULL,
    score           integer NOT NULL,
    reasons         text[] NOT NULL DEFAULT '{}',
    -- db/enums: BuddySource*, BuddyMatch*.
    source          text NOT NULL CHECK (source IN ('auto', 'manual')),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    ended_at        timestamptz,
    ended_reason    text NOT NULL DEFAULT '' CHECK (length(ended_reason) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id, buddy_user_id),
    CHECK (user_id <> buddy_user_id),
    CHECK ((status = 'ended') = (ended_at IS NOT NULL)),
    FOREIGN KEY (organization_id, onboarding_id) REFERENCES user_onboardings (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, buddy_user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX buddy_matches_active_key ON buddy_matches (onboarding_id) WHERE status = 'active';
CREATE INDEX buddy_matches_load_idx ON buddy_matches (organization_id, buddy_user_id) WHERE status = 'active';

CREATE TABLE onboarding_checkins (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    onboarding_id   uuid NOT NULL,
    day             smallint NOT NULL CHECK (day IN (7, 30)),
    manager_user_id uuid NOT NULL REFERENCES users (id),
    rating          smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment         text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (onboarding_id, day),
    FOREIGN KEY (organization_id, onboarding_id) REFERENCES user_onboardings (organization_id, id) ON DELETE CASCADE
);
