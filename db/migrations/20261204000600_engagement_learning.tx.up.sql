-- Learning paths (issue 11): paths of ordered modules (lessons and
-- quizzes), grouped by optional milestones; quiz questions whose correct
-- option never leaves the server; members' attempts, completions and
-- progress. Every row carries organization_id; composite foreign keys
-- keep references inside one organization. Completions are unique per
-- member, so a retried or concurrent pass records (and pays) once.

CREATE TABLE learning_paths (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    -- db/enums: Path*. Modules change only while draft.
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    -- Points for completing the whole path.
    points_reward   integer NOT NULL DEFAULT 0 CHECK (points_reward >= 0),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    published_at    timestamptz,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE INDEX learning_paths_org_idx ON learning_paths (organization_id, created_at, id);

CREATE TABLE learning_path_milestones (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    path_id         uuid NOT NULL,
    position        integer NOT NULL CHECK (position >= 0),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (path_id, position),
    UNIQUE (organization_id, path_id, id),
    FOREIGN KEY (organization_id, path_id) REFERENCES learning_paths (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE learning_modules (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    path_id         uuid NOT NULL,
    milestone_id    uuid,
    position        integer NOT NULL CHECK (position >= 0),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body            text NOT NULL DEFAULT '' CHECK (length(body) <= 50000),
    -- db/enums: Module*.
    kind            text NOT NULL CHECK (kind IN ('lesson', 'quiz')),
    points_reward   integer NOT NULL DEFAULT 0 CHECK (points_reward >= 0),
    passing_score   integer NOT NULL DEFAULT 0 CHECK (passing_score BETWEEN 0 AND 100),
    -- Modules of the same path at lower positions (learning_modules_prerequisites).
    prerequisites   uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(prerequisites) <= 50),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (path_id, position),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, path_id, id),
    FOREIGN KEY (organization_id, path_id) REFERENCES learning_paths (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, path_id, milestone_id)
        REFERENCES learning_path_milestones (organization_id, path_id, id) ON DELETE CASCADE
);

-- A module's prerequisites are modules of its path at lower positions,
-- and no module of the path at a position not above it may list it: so
-- prerequisites form no cycle and a member can always work down the path.
CREATE FUNCTION learning_modules_prerequisites() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.prerequisites) AS p(id)
                WHERE NOT EXISTS (SELECT 1 FROM learning_modules m
                                   WHERE m.id = p.id AND m.path_id = NEW.path_id AND m.position < NEW.position)) THEN
        RAISE EXCEPTION 'module % has a prerequisite that is not an earlier module of its path', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'learning_modules_prerequisites';
    END IF;
    IF EXISTS (SELECT 1 FROM learning_modules m
                WHERE m.path_id = NEW.path_id AND m.id <> NEW.id AND m.position <= NEW.position
                  AND NEW.id = ANY (m.prerequisites)) THEN
        RAISE EXCEPTION 'module % would come after a module that requires it', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'learning_modules_prerequisites';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER learning_modules_prerequisites BEFORE INSERT OR UPDATE ON learning_modules
    FOR EACH ROW EXECUTE FUNCTION learning_modules_prerequisites();

-- correct_option is read only by grading; the API never returns it.
CREATE TABLE quiz_questions (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    module_id       uuid NOT NULL,
    position        integer NOT NULL CHECK (position >= 0),
    prompt          text NOT NULL CHECK (length(prompt) BETWEEN 1 AND 1000),
    options         text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 10),
    correct_option  integer NOT NULL,
    points          integer NOT NULL DEFAULT 1 CHECK (points BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quiz_questions_correct_option CHECK (correct_option >= 0 AND correct_option < cardinality(options)),
    UNIQUE (module_id, position),
    FOREIGN KEY (organization_id, module_id) REFERENCES learning_modules (organization_id, id) ON DELETE CASCADE
);

-- Every graded submission, passed or not.
CREATE TABLE quiz_attempts (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    module_id       uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answers         integer[] NOT NULL,
    score           integer NOT NULL CHECK (score BETWEEN 0 AND 100),
    passed          boolean NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, module_id) REFERENCES learning_modules (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX quiz_attempts_user_idx ON quiz_attempts (organization_id, user_id, module_id, created_at);

-- A member's enrollment in a path and how far they are (0-100).
CREATE TABLE learning_path_progress (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    path_id         uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- db/enums: Progress*.
    status          text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'in_progress', 'completed')),
    progress        integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    started_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (path_id, user_id),
    CONSTRAINT learning_path_progress_completed CHECK (
        (status = 'completed') = (completed_at IS NOT NULL)
        AND (status <> 'completed' OR (progress = 100 AND completed_at > started_at))),
    FOREIGN KEY (organization_id, path_id) REFERENCES learning_paths (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX learning_path_progress_user_idx ON learning_path_progress (organization_id, user_id, started_at, id);

-- One completion per member and module: the unique key is what makes two
-- concurrent passes one completion.
CREATE TABLE module_completions (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    path_id         uuid NOT NULL,
    module_id       uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The passing score for a quiz; null for a lesson.
    quiz_score      integer CHECK (quiz_score BETWEEN 0 AND 100),
    completed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (module_id, user_id),
    FOREIGN KEY (organization_id, path_id, module_id) REFERENCES learning_modules (organization_id, path_id, id) ON DELETE CASCADE
);
CREATE INDEX module_completions_user_idx ON module_completions (path_id, user_id);

CREATE TABLE milestone_completions (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    path_id         uuid NOT NULL,
    milestone_id    uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    completed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (milestone_id, user_id),
    FOREIGN KEY (organization_id, path_id, milestone_id)
        REFERENCES learning_path_milestones (organization_id, path_id, id) ON DELETE CASCADE
);
CREATE INDEX milestone_completions_user_idx ON milestone_completions (path_id, user_id);
