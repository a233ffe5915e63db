package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Buddy matching (issue 12). A buddy is a colleague who has opted in
// (member_profiles.buddy_available), has been in the organization for at
// least BuddyMinTenure before the hire starts, is neither the hire nor the
// hire's manager, is not onboarding themselves, has fewer active matches
// than the organization's buddy_max_load and was never this hire's buddy
// before. Eligible colleagues are scored so the choice can be explained:
// the score and its reasons are stored on the match and shown.
//
// Load is the one rule concurrent starts can break: two setups could each
// see a colleague one below the limit. Every writer of an active match
// therefore locks the buddy's member_profiles row first and counts the
// matches again under that lock.

// Scoring weights.
const (
	buddySameTeam       = 40
	buddySameOffice     = 30
	buddyPerSharedTag   = 10
	buddySharedTagsMax  = 30
	buddyPerActiveMatch = -15
)

// BuddyMinTenure is how long a buddy must have been a member of the
// organization on the hire's start date.
const BuddyMinTenure = 90 * 24 * time.Hour

// ErrBuddyNotEligible is returned by AssignBuddy for a colleague the rules
// exclude; the wrapping message says which rule.
var ErrBuddyNotEligible = errors.New("not eligible as a buddy")

// ErrBuddyOverloaded is returned by AssignBuddy for a colleague who already
// buddies as many hires as the organization allows.
var ErrBuddyOverloaded = errors.New("already buddies as many hires as the organization allows")

// BuddyCandidate is an eligible colleague, scored for one hire.
type BuddyCandidate struct {
	UserID uuid.UUID
	// Score is the sum of the weights of Reasons; higher is a better match.
	Score int
	// Reasons explain Score to people: "same team", "same office",
	// "shared: go, climbing", "1 active buddy".
	Reasons []string
	// ActiveMatches counts the hires the candidate buddies now.
	ActiveMatches int
	// JoinedAt is when the candidate joined the organization.
	JoinedAt time.Time
}

// BuddyQuery describes the hire a buddy is sought for.
type BuddyQuery struct {
	OrganizationID, HireUserID, ManagerUserID uuid.UUID
	// TeamID and OfficeID are the hire's, when known.
	TeamID, OfficeID *uuid.UUID
	// StartDate is the hire's first day; tenure is counted up to it.
	StartDate time.Time
	// Limit caps the candidates returned; 0 returns every one.
	Limit int
}

// SuggestBuddies returns the colleagues eligible as q's buddy, best first:
// highest score, then fewer active matches, longer tenure, user id.
func SuggestBuddies(ctx context.Context, idb bun.IDB, q BuddyQuery) ([]BuddyCandidate, error) {
	maxLoad, err := buddyMaxLoad(ctx, idb, q.OrganizationID)
	if err != nil {
		return nil, err
	}
	rows, err := buddyRows(ctx, idb, q, uuid.Nil)
	if err != nil {
		return nil, err
	}
	hireTags, err := buddyTagsOf(ctx, idb, q.OrganizationID, q.HireUserID)
	if err != nil {
		return nil, err
	}
	var out []BuddyCandidate
	for _, r := range rows {
		if r.exclusion(q, maxLoad) == nil {
			out = append(out, r.score(q, hireTags))
		}
	}
	slices.SortFunc(out, compareBuddyCandidates)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// PickBuddy matches the best candidate that still fits to the onboarding,
// inside the setup transaction: it walks the ranked candidates, locks each
// one's profile row, re-counts its active matches against the maximum and
// inserts an automatic match for the first that fits. The lock of a
// candidate passed over is released at once (its savepoint is rolled
// back), so two setups walking in different orders cannot deadlock. (nil,
// nil) when nobody fits. An onboarding that already has an active match
// (a retried setup) gets that match back.
func PickBuddy(ctx context.Context, tx bun.Tx, q BuddyQuery, onboardingID uuid.UUID) (*BuddyMatch, error) {
	if m, err := ActiveBuddyMatch(ctx, tx, onboardingID); err != nil || m != nil {
		return m, err
	}
	q.Limit = 0
	candidates, err := SuggestBuddies(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	maxLoad, err := buddyMaxLoad(ctx, tx, q.OrganizationID)
	if err != nil {
		return nil, err
	}
	for _, c := range candidates {
		m, err := tryBuddy(ctx, tx, q, onboardingID, c.UserID, maxLoad)
		if err != nil || m != nil {
			return m, err
		}
	}
	return nil, nil
}

// tryBuddy matches candidate userID under a savepoint: nil when, once
// locked, it no longer fits (the savepoint is rolled back, releasing the
// lock).
func tryBuddy(ctx context.Context, tx bun.Tx, q BuddyQuery, onboardingID, userID uuid.UUID, maxLoad int) (*BuddyMatch, error) {
	sp, err := tx.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("savepoint for buddy %s: %w", userID, err)
	}
	m, err := matchIfFits(ctx, sp, q, onboardingID, userID, maxLoad)
	if err != nil || m == nil {
		if rbErr := sp.Rollback(); rbErr != nil && err == nil {
			err = fmt.Errorf("roll back buddy %s: %w", userID, rbErr)
		}
		return nil, err
	}
	if err := sp.Commit(); err != nil {
		return nil, fmt.Errorf("release savepoint for buddy %s: %w", userID, err)
	}
	return m, nil
}

// matchIfFits locks userID, checks it again (its load may have grown since
// the ranking) and inserts the automatic match; nil when it no longer fits.
func matchIfFits(ctx context.Context, tx bun.Tx, q BuddyQuery, onboardingID, userID uuid.UUID, maxLoad int) (*BuddyMatch, error) {
	m, err := lockedMatch(ctx, tx, q, onboardingID, userID, maxLoad, enums.BuddySourceAuto)
	if errors.Is(err, ErrBuddyNotEligible) || errors.Is(err, ErrBuddyOverloaded) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := insertBuddyMatch(ctx, tx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// AssignBuddy makes buddyUserID the buddy of q's onboarding by hand (HR's
// SetBuddy, the workflow's reassign-buddy): the rules of the automatic pick
// apply, checked under the buddy's profile lock; the onboarding's active
// match, if any, is ended with reason and a manual match inserted with its
// score and reasons. Assigning the current buddy again returns the current
// match (a retried call). Errors: ErrBuddyNotEligible naming the rule,
// ErrBuddyOverloaded. The caller updates user_onboardings.buddy_user_id
// and the buddy's tasks.
func AssignBuddy(ctx context.Context, tx bun.Tx, q BuddyQuery, onboardingID, buddyUserID uuid.UUID, reason string) (*BuddyMatch, error) {
	current, err := ActiveBuddyMatch(ctx, tx, onboardingID)
	if err != nil {
		return nil, err
	}
	if current != nil && current.BuddyUserID == buddyUserID {
		return current, nil
	}
	maxLoad, err := buddyMaxLoad(ctx, tx, q.OrganizationID)
	if err != nil {
		return nil, err
	}
	m, err := lockedMatch(ctx, tx, q, onboardingID, buddyUserID, maxLoad, enums.BuddySourceManual)
	if err != nil {
		return nil, err
	}
	if current != nil {
		if _, err := EndBuddyMatch(ctx, tx, onboardingID, reason); err != nil {
			return nil, err
		}
	}
	if err := insertBuddyMatch(ctx, tx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// lockedMatch locks userID's profile, checks the rules again under the
// lock and builds the active match from source, scored on what the lock
// saw; not yet inserted.
func lockedMatch(ctx context.Context, tx bun.Tx, q BuddyQuery, onboardingID, userID uuid.UUID, maxLoad int, source string) (*BuddyMatch, error) {
	rows, err := lockBuddy(ctx, tx, q, userID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("user %s is not a member of the organization: %w", userID, ErrBuddyNotEligible)
	}
	if err := rows[0].exclusion(q, maxLoad); err != nil {
		return nil, fmt.Errorf("user %s: %w", userID, err)
	}
	hireTags, err := buddyTagsOf(ctx, tx, q.OrganizationID, q.HireUserID)
	if err != nil {
		return nil, err
	}
	scored := rows[0].score(q, hireTags)
	return &BuddyMatch{
		OrganizationID: q.OrganizationID, UserID: q.HireUserID, BuddyUserID: userID, OnboardingID: onboardingID,
		Score: scored.Score, Reasons: scored.Reasons, Source: source, Status: enums.BuddyMatchActive,
	}, nil
}

// BuddyQueryOf is the buddy query of an existing onboarding.
func BuddyQueryOf(o *UserOnboarding) BuddyQuery {
	return BuddyQuery{
		OrganizationID: o.OrganizationID, HireUserID: o.UserID, ManagerUserID: o.ManagerUserID,
		TeamID: o.TeamID, OfficeID: o.OfficeID, StartDate: o.StartDate,
	}
}

// buddyRow is one member of the organization as the buddy rules see them.
type buddyRow struct {
	UserID        uuid.UUID  `bun:"user_id"`
	JoinedAt      time.Time  `bun:"joined_at"`
	Available     bool       `bun:"available"`
	OfficeID      *uuid.UUID `bun:"office_id"`
	Tags          []string   `bun:"tags,array"`
	ActiveMatches int        `bun:"active_matches"`
	SameTeam      bool       `bun:"same_team"`
	Onboarding    bool       `bun:"onboarding"`
	MatchedBefore bool       `bun:"matched_before"`
}

// exclusion is why r may not be q's buddy (ErrBuddyNotEligible or
// ErrBuddyOverloaded, wrapped with the rule), nil when r may.
func (r buddyRow) exclusion(q BuddyQuery, maxLoad int) error {
	var rule string
	switch {
	case r.UserID == q.HireUserID:
		rule = "is the hire"
	case r.UserID == q.ManagerUserID:
		rule = "is the hire's manager"
	case !r.Available:
		rule = "has not opted in to be a buddy"
	case r.JoinedAt.After(q.StartDate.Add(-BuddyMinTenure)):
		rule = "joined less than 90 days before the start date"
	case r.Onboarding:
		rule = "is onboarding themselves"
	case r.MatchedBefore:
		rule = "was this hire's buddy before"
	case r.ActiveMatches >= maxLoad:
		return fmt.Errorf("%d active of %d: %w", r.ActiveMatches, maxLoad, ErrBuddyOverloaded)
	default:
		return nil
	}
	return fmt.Errorf("%s: %w", rule, ErrBuddyNotEligible)
}

// score weighs r as q's buddy; hireTags are the hire's interests and
// skills in lower case.
func (r buddyRow) score(q BuddyQuery, hireTags []string) BuddyCandidate {
	c := BuddyCandidate{UserID: r.UserID, Reasons: []string{}, ActiveMatches: r.ActiveMatches, JoinedAt: r.JoinedAt}
	if r.SameTeam {
		c.Score += buddySameTeam
		c.Reasons = append(c.Reasons, "same team")
	}
	if q.OfficeID != nil && r.OfficeID != nil && *q.OfficeID == *r.OfficeID {
		c.Score += buddySameOffice
		c.Reasons = append(c.Reasons, "same office")
	}
	if shared := sharedTags(hireTags, r.Tags); len(shared) > 0 {
		c.Score += min(buddyPerSharedTag*len(shared), buddySharedTagsMax)
		c.Reasons = append(c.Reasons, "shared: "+strings.Join(shared, ", "))
	}
	if r.ActiveMatches > 0 {
		c.Score += buddyPerActiveMatch * r.ActiveMatches
		c.Reasons = append(c.Reasons, activeBuddiesReason(r.ActiveMatches))
	}
	return c
}

// activeBuddiesReason is "1 active buddy", "2 active buddies".
func activeBuddiesReason(n int) string {
	if n == 1 {
		return "1 active buddy"
	}
	return fmt.Sprintf("%d active buddies", n)
}

// sharedTags are the hire's tags (in the hire's order) the candidate also
// has, compared case-insensitively.
func sharedTags(hireTags, candidateTags []string) []string {
	have := make(map[string]bool, len(candidateTags))
	for _, t := range candidateTags {
		have[strings.ToLower(strings.TrimSpace(t))] = true
	}
	var shared []string
	for _, t := range hireTags {
		if have[t] {
			shared = append(shared, t)
		}
	}
	return shared
}

// compareBuddyCandidates orders best first: score, fewer active matches,
// longer tenure, user id.
func compareBuddyCandidates(a, b BuddyCandidate) int {
	switch {
	case a.Score != b.Score:
		return b.Score - a.Score
	case a.ActiveMatches != b.ActiveMatches:
		return a.ActiveMatches - b.ActiveMatches
	case !a.JoinedAt.Equal(b.JoinedAt):
		return a.JoinedAt.Compare(b.JoinedAt)
	}
	return strings.Compare(a.UserID.String(), b.UserID.String())
}

// buddyRowsSQL reads the members of an organization (one member when
// only is set) with every fact the buddy rules need. Tenure and the
// eligibility rules are evaluated in Go (buddyRow.exclusion) so the
// automatic pick and the manual assignment share one definition.
const buddyRowsSQL = `
SELECT m.user_id, m.created_at AS joined_at,
       coalesce(p.buddy_available, false) AS available,
       p.office_id,
       coalesce(p.interests, '{}') || coalesce(p.skills, '{}') AS tags,
       (SELECT count(*) FROM buddy_matches bm
         WHERE bm.organization_id = m.organization_id AND bm.buddy_user_id = m.user_id
           AND bm.status = 'active') AS active_matches,
       (?2::uuid IS NOT NULL AND (
            EXISTS (SELECT 1 FROM team_memberships tm
                     WHERE tm.organization_id = m.organization_id AND tm.user_id = m.user_id AND tm.team_id = ?2)
         OR EXISTS (SELECT 1 FROM user_points up
                     WHERE up.organization_id = m.organization_id AND up.user_id = m.user_id AND up.team_id = ?2))) AS same_team,
       EXISTS (SELECT 1 FROM user_onboardings o
                WHERE o.organization_id = m.organization_id AND o.user_id = m.user_id
                  AND o.status NOT IN ('completed', 'cancelled')) AS onboarding,
       EXISTS (SELECT 1 FROM buddy_matches bm
                WHERE bm.organization_id = m.organization_id AND bm.user_id = ?1 AND bm.buddy_user_id = m.user_id) AS matched_before
  FROM organization_members m
  LEFT JOIN member_profiles p ON p.organization_id = m.organization_id AND p.user_id = m.user_id
 WHERE m.organization_id = ?0`

// buddyRows reads the organization's members for q; only, when set,
// restricts them to that user.
func buddyRows(ctx context.Context, idb bun.IDB, q BuddyQuery, only uuid.UUID) ([]buddyRow, error) {
	query, args := buddyRowsSQL, []any{q.OrganizationID, q.HireUserID, q.TeamID}
	if only == uuid.Nil {
		// Only members who opted in can be candidates: skip the others in SQL.
		query += ` AND p.buddy_available`
	} else {
		query += ` AND m.user_id = ?3`
		args = append(args, only)
	}
	var rows []buddyRow
	if err := idb.NewRaw(query, args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("buddy candidates of %s: %w", q.HireUserID, err)
	}
	return rows, nil
}

// lockBuddy locks userID's profile row (FOR UPDATE: every writer of an
// active match takes this lock) and then reads the member's facts, so the
// active-match count includes every match committed before the lock was
// granted. No row: userID is not a member.
func lockBuddy(ctx context.Context, tx bun.Tx, q BuddyQuery, userID uuid.UUID) ([]buddyRow, error) {
	_, err := tx.NewRaw(`SELECT 1 FROM member_profiles WHERE organization_id = ? AND user_id = ? FOR UPDATE`,
		q.OrganizationID, userID).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock buddy profile %s: %w", userID, err)
	}
	return buddyRows(ctx, tx, q, userID)
}

// buddyTagsOf are a member's interests then skills, lower-cased, each once.
func buddyTagsOf(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) ([]string, error) {
	p, err := MemberProfileOf(ctx, idb, orgID, userID)
	if err != nil {
		return nil, err
	}
	return lowerTags(slices.Concat(p.Interests, p.Skills)), nil
}

// buddyMaxLoad is how many hires one buddy may have at once in the
// organization.
func buddyMaxLoad(ctx context.Context, idb bun.IDB, orgID uuid.UUID) (int, error) {
	s, err := EngagementSettingsOf(ctx, idb, orgID)
	if err != nil {
		return 0, err
	}
	return s.BuddyMaxLoad, nil
}

// insertBuddyMatch writes m.
func insertBuddyMatch(ctx context.Context, tx bun.Tx, m *BuddyMatch) error {
	if m.ID == uuid.Nil {
		m.ID = NewID()
	}
	if _, err := tx.NewInsert().Model(m).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert buddy match %s for %s: %w", m.BuddyUserID, m.UserID, err)
	}
	return nil
}

// SaveBuddyProfile writes p's buddy fields (availability, office, skills
// and interests, lower-cased) into the member's profile, creating it with
// the other columns' defaults.
func SaveBuddyProfile(ctx context.Context, idb bun.IDB, p *MemberProfile) error {
	p.Skills, p.Interests = lowerTags(p.Skills), lowerTags(p.Interests)
	p.LeaderboardVisible = true
	_, err := idb.NewInsert().Model(p).
		On("CONFLICT (organization_id, user_id) DO UPDATE").
		Set("buddy_available = EXCLUDED.buddy_available, office_id = EXCLUDED.office_id").
		Set("skills = EXCLUDED.skills, interests = EXCLUDED.interests, updated_at = now()").
		Returning("title, location, leaderboard_visible, created_at, updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save buddy profile of %s: %w", p.UserID, err)
	}
	return nil
}

// lowerTags is tags trimmed, lower-cased and without repeats, in order.
func lowerTags(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
