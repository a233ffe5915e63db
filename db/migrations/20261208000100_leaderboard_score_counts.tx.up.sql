-- A copy of member_profiles.leaderboard_visible on the row that is
-- ranked, kept by member_profiles' trigger, so the counts below follow
-- visibility under the same row lock as the points.
ALTER TABLE user_points ADD COLUMN leaderboard_visible boolean NOT NULL DEFAULT true;
UPDATE user_points up SET leaderboard_visible = false
  FROM member_profiles mp
 WHERE mp.organization_id = up.organization_id AND mp.user_id = up.user_id AND NOT mp.leaderboard_visible;

CREATE FUNCTION member_profiles_copy_visibility() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE user_points SET leaderboard_visible = true, updated_at = now()
         WHERE organization_id = OLD.organization_id AND user_id = OLD.user_id AND NOT leaderboard_visible;
        RETURN NULL;
    END IF;
    IF NEW.leaderboard_visible THEN
        -- No row is made: a member without points is on no board.
        UPDATE user_points SET leaderboard_visible = true, updated_at = now()
         WHERE organization_id = NEW.organization_id AND user_id = NEW.user_id AND NOT leaderboard_visible;
        RETURN NULL;
    END IF;
    -- A member hidden before their first points gets their row now, so
    -- the points they earn later start hidden.
    INSERT INTO user_points (organization_id, user_id, leaderboard_visible)
    VALUES (NEW.organization_id, NEW.user_id, false)
    ON CONFLICT (organization_id, user_id) DO UPDATE SET leaderboard_visible = false, updated_at = now()
     WHERE user_points.leaderboard_visible;
    RETURN NULL;
END $$;
CREATE TRIGGER member_profiles_copy_visibility AFTER INSERT OR DELETE OR UPDATE OF leaderboard_visible
    ON member_profiles FOR EACH ROW EXECUTE FUNCTION member_profiles_copy_visibility();
-- The boards read the copy now.
DROP INDEX member_profiles_hidden_idx;

-- How many visible members each leaderboard has at each non-zero score,
-- and in each bucket of 64 scores (board '<board>/64', points the bucket),
-- kept by a trigger on user_points, so a member's rank sums the buckets
-- above theirs and the scores above theirs in their own bucket (at most
-- a row per bucket plus 63) instead of counting every member ahead of
-- them in the index. Zero is left out: every member starts there, and
-- one shared row would serialise everyone's first points.
CREATE TABLE leaderboard_score_counts (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- db.Leaderboard.key: 'all', 'month:<first day>' or 'team:<team id>',
    -- and each of those with '/64' for its buckets.
    board           text NOT NULL,
    points          bigint NOT NULL CHECK (points <> 0),
    -- No CHECK (members >= 0): Postgres checks an INSERT's proposed row
    -- before ON CONFLICT, and a move's -1 goes through that INSERT.
    -- engagement.reconcile reports a count that differs from user_points.
    members         integer NOT NULL,
    PRIMARY KEY (organization_id, board, points)
);

-- The bucket of 64 scores a non-zero score is in, never 0, in the
-- scores' order: 1..63 → 1, 64..127 → 2, -64..-1 → -1 (db.scoreBucket).
CREATE FUNCTION leaderboard_bucket(points bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT (points >> 6) + (points > 0)::int $$;

-- The boards a visible user_points row stands on, at its non-zero score
-- on each, and the buckets of those scores.
CREATE FUNCTION user_points_boards(total_points bigint, points_this_month bigint, month_key date, team_id uuid,
                                   visible boolean)
RETURNS TABLE (board text, points bigint)
LANGUAGE sql IMMUTABLE AS $$
    WITH scores AS (
        SELECT b.board, b.points
          FROM (SELECT 'all' AS board, total_points AS points
                UNION ALL
                SELECT 'month:' || to_char(month_key, 'YYYY-MM-DD'), points_this_month
                UNION ALL
                SELECT 'team:' || team_id, total_points WHERE team_id IS NOT NULL) b
         WHERE visible AND b.points <> 0)
    SELECT board, points FROM scores
    UNION ALL
    SELECT board || '/64', leaderboard_bucket(points) FROM scores
$$;

-- One statement moves the member off their old scores and onto the new
-- ones, touching rows in (board, points) order: two members swapping
-- scores lock the same rows in the same order and never deadlock.
CREATE FUNCTION leaderboard_score_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- Only by cascade; the organization's counts may be gone already.
        UPDATE leaderboard_score_counts c SET members = c.members - 1
          FROM user_points_boards(OLD.total_points, OLD.points_this_month, OLD.month_key, OLD.team_id, OLD.leaderboard_visible) b
         WHERE c.organization_id = OLD.organization_id AND c.board = b.board AND c.points = b.points;
        RETURN NULL;
    END IF;
    INSERT INTO leaderboard_score_counts AS c (organization_id, board, points, members)
    SELECT NEW.organization_id, m.board, m.points, sum(m.delta)
      FROM (SELECT b.board, b.points, -1 AS delta FROM user_points_boards(OLD.total_points, OLD.points_this_month, OLD.month_key, OLD.team_id, OLD.leaderboard_visible) b WHERE TG_OP = 'UPDATE'
            UNION ALL
            SELECT b.board, b.points, 1 FROM user_points_boards(NEW.total_points, NEW.points_this_month, NEW.month_key, NEW.team_id, NEW.leaderboard_visible) b) m
     WHERE m.points <> 0
     GROUP BY m.board, m.points
    HAVING sum(m.delta) <> 0
     ORDER BY m.board, m.points
    ON CONFLICT (organization_id, board, points) DO UPDATE SET members = c.members + EXCLUDED.members;
    RETURN NULL;
END $$;
-- Deferred to commit: members at one score share its row (a check-in
-- rush pays everyone the same points), so the row is locked only for the
-- commit, not for the rest of each award's transaction.
CREATE CONSTRAINT TRIGGER leaderboard_score_counts_apply
    AFTER INSERT OR DELETE OR UPDATE OF total_points, points_this_month, month_key, team_id, leaderboard_visible
    ON user_points DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION leaderboard_score_counts_apply();

INSERT INTO leaderboard_score_counts (organization_id, board, points, members)
SELECT up.organization_id, b.board, b.points, count(*)
  FROM user_points up, user_points_boards(up.total_points, up.points_this_month, up.month_key, up.team_id, up.leaderboard_visible) b
 WHERE b.points <> 0
 GROUP BY up.organization_id, b.board, b.points;
