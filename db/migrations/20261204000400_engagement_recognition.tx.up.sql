-- Peer recognition (seed 001, issue 11; peer: Bonusly): a member gives
-- another member points out of a monthly allowance; recognitions above
-- the organization's approval threshold wait for an approver, and a
-- rejected or expired one gives the allowance back. Composite foreign keys
-- to organization_members keep sender, recipient, commenter and allowance
-- holder inside the recognition's organization.

CREATE TABLE recognitions (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sender_user_id    uuid NOT NULL,
    recipient_user_id uuid NOT NULL,
    message           text NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    points            integer NOT NULL CHECK (points >= 0),
    -- public: every member; team: sender, recipient and their teams'
    -- members; private: sender and recipient.
    visibility        text NOT NULL CHECK (visibility IN ('public', 'team', 'private')),
    -- db/enums: Recognition*.
    status            text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    -- The month (first day, organization zone) whose allowance paid for
    -- it: a refund goes back there.
    allowance_month   date NOT NULL,
    -- Null for an approval at once (below the threshold) and for expiry.
    decided_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at        timestamptz,
    decision_note     text NOT NULL DEFAULT '' CHECK (length(decision_note) <= 500),
    -- Kept exact by recognition_comments_count.
    comments_count    integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    -- A recognition still pending then expires (jobs/engagement_recognitions.go).
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recognitions_not_self CHECK (sender_user_id <> recipient_user_id),
    CONSTRAINT recognitions_decided CHECK ((status = 'pending') = (decided_at IS NULL)),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, sender_user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, recipient_user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
-- The feed: approved recognitions, newest approval first.
CREATE INDEX recognitions_feed_idx ON recognitions (organization_id, decided_at DESC, id DESC) WHERE status = 'approved';
-- The approvers' queue, oldest first, and the expiry job's scan.
CREATE INDEX recognitions_pending_idx ON recognitions (organization_id, created_at, id) WHERE status = 'pending';
CREATE INDEX recognitions_expiry_idx ON recognitions (expires_at) WHERE status = 'pending';
CREATE INDEX recognitions_sender_idx ON recognitions (organization_id, sender_user_id);
CREATE INDEX recognitions_recipient_idx ON recognitions (organization_id, recipient_user_id);

CREATE TABLE recognition_comments (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    recognition_id  uuid NOT NULL,
    author_user_id  uuid NOT NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, recognition_id) REFERENCES recognitions (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, author_user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX recognition_comments_thread_idx ON recognition_comments (recognition_id, created_at, id);
CREATE INDEX recognition_comments_author_idx ON recognition_comments (organization_id, author_user_id);

-- comments_count follows the comments one for one; the row lock it takes
-- serializes concurrent comments on one recognition.
CREATE FUNCTION recognition_comments_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE recognitions SET comments_count = comments_count + 1 WHERE id = NEW.recognition_id;
    ELSE
        UPDATE recognitions SET comments_count = comments_count - 1 WHERE id = OLD.recognition_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER recognition_comments_count AFTER INSERT OR DELETE ON recognition_comments
    FOR EACH ROW EXECUTE FUNCTION recognition_comments_count();

-- What a member may still give away in one month (first day, organization
-- zone). granted is fixed when the row is made (engagement_settings.
-- monthly_allowance then); spent rises with each recognition sent and
-- falls with each refund.
CREATE TABLE recognition_allowances (
    organization_id uuid NOT NULL,
    user_id         uuid NOT NULL,
    month_key       date NOT NULL CHECK (extract(day FROM month_key) = 1),
    granted         integer NOT NULL CHECK (granted >= 0),
    spent           integer NOT NULL DEFAULT 0 CHECK (spent >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recognition_allowances_within CHECK (spent <= granted),
    PRIMARY KEY (organization_id, user_id, month_key),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
