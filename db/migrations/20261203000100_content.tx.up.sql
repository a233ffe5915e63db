-- Content operations (seed 003): campaigns, templates, media, versioned
-- content, social accounts and their posts, metrics and sentiment, event
-- delegates and phases, and approval chains. Major entities are soft
-- deleted (deleted_at) and purged after 90 days; optional references are
-- ON DELETE SET NULL.

CREATE EXTENSION IF NOT EXISTS btree_gist;

ALTER TABLE events
    ADD COLUMN social_handles    jsonb  NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(social_handles) = 'object'),
    ADD COLUMN official_hashtags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(official_hashtags) <= 30);

CREATE TABLE campaigns (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id         uuid REFERENCES events (id) ON DELETE SET NULL,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    campaign_type    text NOT NULL DEFAULT '' CHECK (length(campaign_type) <= 50),
    start_date       timestamptz NOT NULL,
    end_date         timestamptz NOT NULL,
    target_platforms text[] NOT NULL DEFAULT '{}',
    kpi_targets      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(kpi_targets) = 'object'),
    status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'completed')),
    archived_at      timestamptz,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_dates CHECK (start_date <= end_date)
);
CREATE INDEX campaigns_org_idx ON campaigns (organization_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX campaigns_event_idx ON campaigns (event_id);

CREATE TABLE content_templates (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    content_type    text NOT NULL CHECK (content_type IN ('post', 'story', 'reel', 'thread', 'article')),
    -- {"title": "...", "caption": "...", "body": "..."} with {{variable}} placeholders.
    template_data   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(template_data) = 'object'),
    thumbnail_url   text NOT NULL DEFAULT '',
    usage_count     integer NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_templates_org_idx ON content_templates (organization_id, name) WHERE deleted_at IS NULL;

-- 104857600 bytes (100 MiB) is the largest signed upload; UploadMedia's
-- inline bytes are capped lower, in the API.
CREATE TABLE media_assets (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uploaded_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    filename          text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    file_type         text NOT NULL CHECK (file_type IN ('image', 'video', 'document')),
    mime_type         text NOT NULL CHECK (length(mime_type) BETWEEN 3 AND 100),
    file_size         bigint NOT NULL CHECK (file_size > 0 AND file_size <= 104857600),
    storage_key       text NOT NULL UNIQUE,
    storage_url       text NOT NULL DEFAULT '',
    cdn_url           text NOT NULL DEFAULT '',
    width             integer CHECK (width > 0),
    height            integer CHECK (height > 0),
    processing_status text NOT NULL DEFAULT 'pending' CHECK (processing_status IN ('pending', 'ready', 'failed')),
    processing_error  text NOT NULL DEFAULT '',
    ai_tags           text[] NOT NULL DEFAULT '{}',
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_assets_org_idx ON media_assets (organization_id, created_at DESC) WHERE deleted_at IS NULL;

-- Tokens are AES-GCM ciphertext sealed with the key named by token_key_id
-- (CONVENE_SOCIAL_TOKEN_KEY); the plaintext never reaches the database.
CREATE TABLE social_accounts (
    id                       uuid PRIMARY KEY,
    organization_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id                 uuid REFERENCES events (id) ON DELETE SET NULL,
    connected_by             uuid REFERENCES users (id) ON DELETE SET NULL,
    platform                 text NOT NULL CHECK (platform ~ '^[a-z][a-z0-9_]{0,30}$'),
    platform_user_id         text NOT NULL CHECK (length(platform_user_id) BETWEEN 1 AND 200),
    username                 text NOT NULL DEFAULT '',
    access_token_ciphertext  bytea NOT NULL,
    refresh_token_ciphertext bytea,
    token_key_id             text NOT NULL,
    token_expires_at         timestamptz,
    is_active                boolean NOT NULL DEFAULT true,
    disconnected_at          timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, platform, platform_user_id)
);

-- One row per StartConnect: the OAuth state is single use and short lived.
CREATE TABLE social_connect_states (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id        uuid REFERENCES events (id) ON DELETE SET NULL,
    platform        text NOT NULL,
    state_hash      bytea NOT NULL UNIQUE,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- content is the stable identity; what it says lives in content_versions.
-- A draft's version is edited in place; once submitted, an edit writes the
-- next version.
CREATE TABLE content (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id          uuid REFERENCES events (id) ON DELETE SET NULL,
    campaign_id       uuid REFERENCES campaigns (id) ON DELETE SET NULL,
    template_id       uuid REFERENCES content_templates (id) ON DELETE SET NULL,
    phase_id          uuid,
    author_user_id    uuid NOT NULL REFERENCES users (id),
    content_type      text NOT NULL CHECK (content_type IN ('post', 'story', 'reel', 'thread', 'article')),
    current_version   integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    workflow_status   text NOT NULL DEFAULT 'draft'
        CHECK (workflow_status IN ('draft', 'in_review', 'changes_requested', 'approved', 'rejected', 'scheduled', 'publishing', 'published', 'partially_published', 'failed', 'expired', 'withdrawn')),
    approval_required boolean NOT NULL DEFAULT true,
    scheduled_for     timestamptz,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_org_status_idx ON content (organization_id, workflow_status, scheduled_for) WHERE deleted_at IS NULL;
CREATE INDEX content_campaign_idx ON content (campaign_id);
CREATE INDEX content_event_idx ON content (event_id);
CREATE INDEX content_purge_idx ON content (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE content_versions (
    id                uuid PRIMARY KEY,
    content_id        uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    version           integer NOT NULL CHECK (version >= 1),
    -- History is a line: each version has at most one successor.
    parent_version_id uuid UNIQUE REFERENCES content_versions (id) ON DELETE CASCADE,
    title             text NOT NULL DEFAULT '' CHECK (length(title) <= 300),
    caption           text NOT NULL DEFAULT '' CHECK (length(caption) <= 5000),
    body              text NOT NULL DEFAULT '' CHECK (length(body) <= 50000),
    hashtags          text[] NOT NULL DEFAULT '{}' CHECK (cardinality(hashtags) <= 30),
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    search            tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(caption, '') || ' ' || coalesce(body, ''))) STORED,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (content_id, version),
    CONSTRAINT content_versions_parent CHECK ((version = 1) = (parent_version_id IS NULL))
);
CREATE INDEX content_versions_search_idx ON content_versions USING gin (search);

CREATE TABLE content_version_media (
    content_version_id uuid NOT NULL REFERENCES content_versions (id) ON DELETE CASCADE,
    media_asset_id     uuid NOT NULL REFERENCES media_assets (id),
    position           integer NOT NULL CHECK (position >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_version_id, media_asset_id),
    UNIQUE (content_version_id, position)
);
CREATE INDEX content_version_media_asset_idx ON content_version_media (media_asset_id);

CREATE TABLE content_version_targets (
    content_version_id uuid NOT NULL REFERENCES content_versions (id) ON DELETE CASCADE,
    social_account_id  uuid NOT NULL REFERENCES social_accounts (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_version_id, social_account_id)
);
CREATE INDEX content_version_targets_account_idx ON content_version_targets (social_account_id);

-- One post per content and account, ever: the row is written as
-- 'publishing' before the platform is called, so a retry after a timeout
-- finds it and looks the post up instead of posting twice.
CREATE TABLE published_posts (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content_id         uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    content_version_id uuid NOT NULL REFERENCES content_versions (id) ON DELETE CASCADE,
    social_account_id  uuid NOT NULL REFERENCES social_accounts (id),
    platform           text NOT NULL,
    idempotency_key    text NOT NULL UNIQUE,
    platform_post_id   text,
    platform_url       text NOT NULL DEFAULT '',
    published_content  jsonb NOT NULL DEFAULT '{}',
    publish_status     text NOT NULL DEFAULT 'publishing' CHECK (publish_status IN ('publishing', 'published', 'failed', 'needs_attention')),
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error         text NOT NULL DEFAULT '',
    published_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (content_id, social_account_id),
    CONSTRAINT published_posts_published_has_id CHECK (publish_status <> 'published' OR (platform_post_id IS NOT NULL AND published_at IS NOT NULL))
);
CREATE INDEX published_posts_org_idx ON published_posts (organization_id, publish_status, published_at DESC);
CREATE INDEX published_posts_account_idx ON published_posts (social_account_id);

-- Time series, partitioned by month; content.partitions creates the
-- partitions ahead (content_ensure_partitions).
CREATE TABLE engagement_metrics (
    id                  uuid NOT NULL,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    published_post_id   uuid NOT NULL REFERENCES published_posts (id) ON DELETE CASCADE,
    platform            text NOT NULL,
    impressions         bigint NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    reach               bigint NOT NULL DEFAULT 0 CHECK (reach >= 0),
    likes               bigint NOT NULL DEFAULT 0 CHECK (likes >= 0),
    comments            bigint NOT NULL DEFAULT 0 CHECK (comments >= 0),
    shares              bigint NOT NULL DEFAULT 0 CHECK (shares >= 0),
    engagement_rate_bps integer NOT NULL DEFAULT 0 CHECK (engagement_rate_bps >= 0),
    measured_at         timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, measured_at),
    UNIQUE (published_post_id, measured_at)
) PARTITION BY RANGE (measured_at);

-- One row per analysed comment; commented_at (the comment's own time)
-- partitions it, so the same comment always lands on the same key.
CREATE TABLE sentiment_analysis (
    id                  uuid NOT NULL,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    published_post_id   uuid REFERENCES published_posts (id) ON DELETE CASCADE,
    event_id            uuid REFERENCES events (id) ON DELETE SET NULL,
    platform            text NOT NULL,
    platform_comment_id text NOT NULL,
    text_content        text NOT NULL,
    sentiment           text NOT NULL CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    score_bps           integer NOT NULL CHECK (score_bps BETWEEN -10000 AND 10000),
    entities            jsonb NOT NULL DEFAULT '[]',
    keywords            text[] NOT NULL DEFAULT '{}',
    commented_at        timestamptz NOT NULL,
    analyzed_at         timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, commented_at),
    UNIQUE (published_post_id, platform_comment_id, commented_at)
) PARTITION BY RANGE (commented_at);
CREATE INDEX sentiment_analysis_event_idx ON sentiment_analysis (event_id, commented_at);

-- content_ensure_partitions creates the monthly partitions of the two time
-- series from the month of start for months months; existing ones are kept.
CREATE FUNCTION content_ensure_partitions(start timestamptz, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    created integer := 0;
    m       timestamptz;
    parent  text;
    part    text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        m := date_trunc('month', start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(months => i);
        FOREACH parent IN ARRAY ARRAY['engagement_metrics', 'sentiment_analysis'] LOOP
            part := parent || '_' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM');
            IF to_regclass(part) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                    part, parent, m, m + interval '1 month');
                created := created + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN created;
END $$;
SELECT content_ensure_partitions(now() - interval '1 month', 4);

CREATE TABLE delegates (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id          uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    title             text NOT NULL DEFAULT '' CHECK (length(title) <= 50),
    first_name        text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name         text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
    designation       text NOT NULL DEFAULT '' CHECK (length(designation) <= 200),
    organization_name text NOT NULL DEFAULT '' CHECK (length(organization_name) <= 200),
    country           text NOT NULL DEFAULT '' CHECK (country = '' OR country ~ '^[A-Z]{2}$'),
    delegate_type     text NOT NULL DEFAULT 'attendee' CHECK (length(delegate_type) BETWEEN 1 AND 50),
    vip_tier          integer NOT NULL DEFAULT 0 CHECK (vip_tier BETWEEN 0 AND 5),
    auto_tag          boolean NOT NULL DEFAULT false,
    search            tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', first_name || ' ' || last_name || ' ' || designation || ' ' || organization_name)) STORED,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delegates_search_idx ON delegates USING gin (search);
CREATE INDEX delegates_event_idx ON delegates (event_id, vip_tier DESC) WHERE deleted_at IS NULL;

CREATE TABLE event_phases (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_phases_order CHECK (starts_at < ends_at),
    CONSTRAINT event_phases_no_overlap EXCLUDE USING gist (event_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
);
ALTER TABLE content ADD CONSTRAINT content_phase_fk FOREIGN KEY (phase_id) REFERENCES event_phases (id) ON DELETE SET NULL;

CREATE TABLE approval_workflows (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- {"content_types": [...], "platforms": [...], "campaign_ids": [...], "event_ids": [...],
    --  "phase_ids": [...], "min_vip_tier": n}; an empty list matches anything.
    trigger_conditions jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(trigger_conditions) = 'object'),
    priority           integer NOT NULL DEFAULT 0,
    is_active          boolean NOT NULL DEFAULT true,
    deleted_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approval_workflows_match_idx ON approval_workflows (organization_id, priority DESC) WHERE is_active AND deleted_at IS NULL;

CREATE TABLE approval_workflow_steps (
    id                   uuid PRIMARY KEY,
    approval_workflow_id uuid NOT NULL REFERENCES approval_workflows (id) ON DELETE CASCADE,
    position             integer NOT NULL CHECK (position >= 1),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    approver_user_ids    uuid[] NOT NULL DEFAULT '{}',
    approver_roles       text[] NOT NULL DEFAULT '{}' CHECK (approver_roles <@ ARRAY['owner', 'admin', 'approver', 'member']::text[]),
    quorum               text NOT NULL CHECK (quorum IN ('any', 'all', 'n')),
    quorum_n             integer NOT NULL DEFAULT 1 CHECK (quorum_n >= 1),
    sla_hours            integer NOT NULL CHECK (sla_hours > 0),
    escalation_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    escalation_role      text CHECK (escalation_role IN ('owner', 'admin', 'approver', 'member')),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (approval_workflow_id, position),
    CONSTRAINT approval_workflow_steps_has_approvers CHECK (cardinality(approver_user_ids) + cardinality(approver_roles) >= 1)
);

-- One request per content version; its steps are a snapshot of the
-- definition at submission, so editing a definition never changes a
-- running chain.
CREATE TABLE approval_requests (
    id                   uuid PRIMARY KEY,
    organization_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    approval_workflow_id uuid REFERENCES approval_workflows (id) ON DELETE SET NULL,
    content_id           uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    content_version_id   uuid NOT NULL UNIQUE REFERENCES content_versions (id) ON DELETE CASCADE,
    version              integer NOT NULL CHECK (version >= 1),
    requested_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    steps                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(steps) = 'array'),
    current_step         integer NOT NULL DEFAULT 1 CHECK (current_step >= 1),
    status               text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'escalated', 'approved', 'rejected', 'changes_requested', 'superseded', 'withdrawn', 'expired')),
    requested_at         timestamptz NOT NULL DEFAULT now(),
    resolved_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT approval_requests_resolved CHECK ((status IN ('pending', 'escalated')) = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX approval_requests_one_open_idx ON approval_requests (content_id) WHERE status IN ('pending', 'escalated');

CREATE TABLE external_review_links (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    approval_request_id uuid NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    step_number         integer NOT NULL CHECK (step_number >= 1),
    token_hash          bytea NOT NULL UNIQUE,
    reviewer_name       text NOT NULL CHECK (length(reviewer_name) BETWEEN 1 AND 200),
    reviewer_email      text NOT NULL DEFAULT '',
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at          timestamptz NOT NULL,
    used_at             timestamptz,
    revoked_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE approval_actions (
    id                      uuid PRIMARY KEY,
    organization_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    approval_request_id     uuid NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    step_number             integer NOT NULL CHECK (step_number >= 1),
    action                  text NOT NULL CHECK (action IN ('approve', 'reject', 'request_changes', 'escalate', 'remind')),
    actor_user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    external_review_link_id uuid REFERENCES external_review_links (id) ON DELETE SET NULL,
    on_behalf_of_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    comment                 text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    actioned_at             timestamptz NOT NULL DEFAULT now(),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    -- A vote has a voter (a member or an external link); reminders and
    -- escalations are the workflow's own.
    CONSTRAINT approval_actions_voter CHECK (action IN ('escalate', 'remind') OR actor_user_id IS NOT NULL OR external_review_link_id IS NOT NULL)
);
CREATE UNIQUE INDEX approval_actions_one_vote_idx ON approval_actions (approval_request_id, step_number, actor_user_id)
    WHERE action IN ('approve', 'reject', 'request_changes') AND actor_user_id IS NOT NULL;
CREATE UNIQUE INDEX approval_actions_one_link_vote_idx ON approval_actions (external_review_link_id)
    WHERE action IN ('approve', 'reject', 'request_changes') AND external_review_link_id IS NOT NULL;
CREATE INDEX approval_actions_request_idx ON approval_actions (approval_request_id, actioned_at);

-- The approver's inbox: one row per person who may act on a step.
CREATE TABLE approval_assignments (
    id                   uuid PRIMARY KEY,
    organization_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    approval_request_id  uuid NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    content_id           uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    step_number          integer NOT NULL CHECK (step_number >= 1),
    assignee_user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    on_behalf_of_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    reason               text NOT NULL CHECK (reason IN ('listed', 'role', 'delegate', 'escalation')),
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'closed')),
    due_at               timestamptz NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (approval_request_id, step_number, assignee_user_id)
);
CREATE INDEX approval_assignments_inbox_idx ON approval_assignments (assignee_user_id, status, due_at);

CREATE TABLE approval_delegations (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delegate_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    revoked_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT approval_delegations_not_self CHECK (delegate_user_id <> user_id),
    CONSTRAINT approval_delegations_order CHECK (starts_at < ends_at),
    CONSTRAINT approval_delegations_no_overlap EXCLUDE USING gist (
        organization_id WITH =, user_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (revoked_at IS NULL)
);
