-- One row per RetryPublish: which targets a retry of a content version
-- posts and its attempt number, so each retry runs as its own workflow
-- (content-publish/<content id>/v<version>/retry-<attempt>) and two
-- retries can never share one.
CREATE TABLE content_publish_runs (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content_id         uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    content_version_id uuid NOT NULL REFERENCES content_versions (id) ON DELETE CASCADE,
    version            integer NOT NULL CHECK (version >= 1),
    attempt            integer NOT NULL CHECK (attempt >= 1),
    requested_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    social_account_ids uuid[] NOT NULL CHECK (cardinality(social_account_ids) >= 1),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (content_id, version, attempt)
);
