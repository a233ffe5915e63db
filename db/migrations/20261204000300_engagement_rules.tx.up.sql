-- Rules engine (issue 11): an organization's gamification rules, the
-- per-member cap counters they fill, and the log of every evaluation.
-- Composite foreign keys keep a rule, its counters and its executions in
-- the rule's organization.

-- A rule reacts to domain events of trigger_type: when every CEL
-- condition holds (internal/rules), it runs its actions, at most
-- cap_count times per member per cap_period (no cap when cap_count is
-- null).
CREATE TABLE gamification_rules (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    trigger_type    text NOT NULL CHECK (trigger_type ~ '^[a-z_]+(\.[a-z_]+)+$' AND length(trigger_type) <= 100),
    -- [{"name": ..., "expression": ...}], all must hold.
    conditions      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(conditions) = 'array'),
    -- [{"award_points": n} | {"award_badge": "<badge id>"} | {"notify": "..."}], at least one.
    actions         jsonb NOT NULL CHECK (jsonb_typeof(actions) = 'array' AND jsonb_array_length(actions) >= 1),
    cap_period      text NOT NULL DEFAULT 'total' CHECK (cap_period IN ('day', 'week', 'month', 'total')),
    cap_count       integer CHECK (cap_count > 0),
    is_active       boolean NOT NULL DEFAULT true,
    -- Lower runs first.
    priority        integer NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 10000),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
-- The rules job's lookup: the active rules of one trigger, in order.
CREATE INDEX gamification_rules_trigger_idx ON gamification_rules (organization_id, trigger_type, priority, id) WHERE is_active;
CREATE INDEX gamification_rules_org_idx ON gamification_rules (organization_id, created_at DESC, id DESC);

-- How often a rule fired for a member in one cap period; period_key is
-- the period's first day in the organization's zone ('total' for the
-- whole time).
CREATE TABLE rule_cap_counters (
    organization_id uuid NOT NULL,
    rule_id         uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period_key      text NOT NULL CHECK (length(period_key) BETWEEN 1 AND 20),
    count           integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, user_id, period_key),
    FOREIGN KEY (organization_id, rule_id) REFERENCES gamification_rules (organization_id, id) ON DELETE CASCADE
);

-- rule_executions' composite key into the outbox.
ALTER TABLE domain_events ADD CONSTRAINT domain_events_org_id_key UNIQUE (organization_id, id);

-- One evaluation of a rule on a domain event: claimed before the rule
-- acts, so a retried job never fires a rule twice for one event.
CREATE TABLE rule_executions (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    rule_id         uuid NOT NULL,
    domain_event_id uuid NOT NULL,
    user_id         uuid REFERENCES users (id) ON DELETE CASCADE,
    outcome         text NOT NULL CHECK (outcome IN ('fired', 'conditions_false', 'capped', 'depth_limit')),
    -- {"conditions": [{"name", "expression", "value", "error"}], "actions": [...]}
    details         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, domain_event_id),
    FOREIGN KEY (organization_id, rule_id) REFERENCES gamification_rules (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, domain_event_id) REFERENCES domain_events (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX rule_executions_rule_idx ON rule_executions (organization_id, rule_id, created_at DESC, id DESC);
