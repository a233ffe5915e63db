package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// buddyBundle is an organization with a default onboarding template and
// an HR admin, where hires, managers and buddies are added per test.
type buddyBundle struct {
	t        *testing.T
	ctx      context.Context
	d        *db.DB
	org      uuid.UUID
	template uuid.UUID
	hr       uuid.UUID
	// start is every hire's start date; tenure is counted up to it.
	start time.Time
	// phones numbers the users created, shared with sibling bundles.
	phones *int
}

func setupBuddies(t *testing.T) *buddyBundle {
	t.Helper()
	b := &buddyBundle{t: t, ctx: context.Background(), d: testenv.NewDB(t),
		start: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7), phones: new(int)}
	b.org = b.newOrganization()
	b.hr = b.member(400 * 24 * time.Hour)
	tpl := &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: b.org, Name: "General", IsDefault: true, Version: 1}
	_, err := b.d.NewInsert().Model(tpl).Exec(b.ctx)
	require.NoError(t, err)
	b.template = tpl.ID
	return b
}

func (b *buddyBundle) newOrganization() uuid.UUID {
	b.t.Helper()
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(b.t, db.InsertOrganization(b.ctx, b.d, org))
	return org.ID
}

// sibling is another organization in the same database.
func (b *buddyBundle) sibling() *buddyBundle {
	b.t.Helper()
	s := &buddyBundle{t: b.t, ctx: b.ctx, d: b.d, start: b.start, phones: b.phones}
	s.org = s.newOrganization()
	return s
}

// member adds a member who joined tenure before the start date.
func (b *buddyBundle) member(tenure time.Duration) uuid.UUID {
	b.t.Helper()
	*b.phones++
	u, created, err := db.CreateUserWithPhone(b.ctx, b.d, fmt.Sprintf("+1555%07d", *b.phones))
	require.NoError(b.t, err)
	require.True(b.t, created)
	m := &db.Member{ID: db.NewID(), OrganizationID: b.org, UserID: u.ID, Role: db.RoleMember}
	m.CreatedAt = b.start.Add(-tenure)
	require.NoError(b.t, db.InsertMember(b.ctx, b.d, m))
	return u.ID
}

// profile is what a member's engagement profile says about buddying.
type profile struct {
	available bool
	office    *uuid.UUID
	interests []string
	skills    []string
}

// setProfile writes a member's profile.
func (b *buddyBundle) setProfile(user uuid.UUID, p profile) {
	b.t.Helper()
	_, err := b.d.NewRaw(`INSERT INTO member_profiles (organization_id, user_id, buddy_available, office_id, interests, skills)
		VALUES (?, ?, ?, ?, ?, ?)`, b.org, user, p.available, p.office, pgArray(p.interests), pgArray(p.skills)).Exec(b.ctx)
	require.NoError(b.t, err)
}

// buddy adds a member who opted in to buddying, with p's other facts.
func (b *buddyBundle) buddy(tenure time.Duration, p profile) uuid.UUID {
	b.t.Helper()
	u := b.member(tenure)
	p.available = true
	b.setProfile(u, p)
	return u
}

func (b *buddyBundle) team() uuid.UUID {
	b.t.Helper()
	team := &db.Team{OrganizationID: b.org, Name: "Team " + db.NewID().String()[30:]}
	require.NoError(b.t, db.InsertTeam(b.ctx, b.d, team))
	return team.ID
}

func (b *buddyBundle) joinTeam(user, team uuid.UUID) {
	b.t.Helper()
	require.NoError(b.t, b.d.InTx(b.ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.AddTeamMember(ctx, tx, &db.TeamMembership{OrganizationID: b.org, TeamID: team, UserID: user, Role: enums.TeamRoleMember})
	}))
}

func (b *buddyBundle) office() uuid.UUID {
	b.t.Helper()
	o := &db.Office{ID: db.NewID(), OrganizationID: b.org, Name: "Office " + db.NewID().String()[30:], TimeZone: "Asia/Kolkata",
		Workdays: []int16{1, 2, 3, 4, 5}, SendWindowStart: "09:00:00", SendWindowEnd: "17:00:00"}
	_, err := b.d.NewInsert().Model(o).Exec(b.ctx)
	require.NoError(b.t, err)
	return o.ID
}

// hire is a new member to be onboarded and the query that seeks their buddy.
func (b *buddyBundle) hire(manager uuid.UUID, team, office *uuid.UUID, p profile) db.BuddyQuery {
	b.t.Helper()
	u := b.member(0)
	b.setProfile(u, p)
	return db.BuddyQuery{OrganizationID: b.org, HireUserID: u, ManagerUserID: manager, TeamID: team, OfficeID: office, StartDate: b.start}
}

// onboarding inserts q's onboarding with status.
func (b *buddyBundle) onboarding(ctx context.Context, idb bun.IDB, q db.BuddyQuery, status string) uuid.UUID {
	b.t.Helper()
	o := &db.UserOnboarding{ID: db.NewID(), OrganizationID: b.org, UserID: q.HireUserID, TemplateID: b.template, TemplateVersion: 1,
		ManagerUserID: q.ManagerUserID, HRUserID: b.hr, OfficeID: q.OfficeID, TeamID: q.TeamID, StartDate: b.start,
		Status: status, Milestone: enums.MilestonePreboarding}
	if status == enums.OnboardingCancelled {
		o.CancelledAt = &b.start
	}
	_, err := idb.NewInsert().Model(o).Exec(ctx)
	require.NoError(b.t, err)
	return o.ID
}

// busy gives buddy n active matches with other hires.
func (b *buddyBundle) busy(buddy, manager uuid.UUID, n int) {
	b.t.Helper()
	for range n {
		q := b.hire(manager, nil, nil, profile{})
		b.match(b.onboarding(b.ctx, b.d, q, enums.OnboardingActive), q.HireUserID, buddy, enums.BuddyMatchActive)
	}
}

// match inserts a match of hire with buddy for an onboarding.
func (b *buddyBundle) match(onboarding, hire, buddy uuid.UUID, status string) {
	b.t.Helper()
	m := &db.BuddyMatch{ID: db.NewID(), OrganizationID: b.org, UserID: hire, BuddyUserID: buddy, OnboardingID: onboarding,
		Reasons: []string{}, Source: enums.BuddySourceManual, Status: status}
	if status == enums.BuddyMatchEnded {
		m.EndedAt = &b.start
	}
	_, err := b.d.NewInsert().Model(m).Exec(b.ctx)
	require.NoError(b.t, err)
}

// pick runs PickBuddy for q in a transaction of its own that also opens
// q's onboarding, as the setup activity does.
func (b *buddyBundle) pick(q db.BuddyQuery) (*db.BuddyMatch, error) {
	var m *db.BuddyMatch
	err := b.d.InTx(b.ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		m, err = db.PickBuddy(ctx, tx, q, b.onboarding(ctx, tx, q, enums.OnboardingPreboarding))
		return err
	})
	return m, err
}

// activeLoad counts the active matches of each buddy.
func (b *buddyBundle) activeLoad() map[uuid.UUID]int {
	b.t.Helper()
	var rows []struct {
		Buddy uuid.UUID `bun:"buddy_user_id"`
		N     int       `bun:"n"`
	}
	require.NoError(b.t, b.d.NewRaw(`SELECT buddy_user_id, count(*) AS n FROM buddy_matches
		WHERE organization_id = ? AND status = 'active' GROUP BY buddy_user_id`, b.org).Scan(b.ctx, &rows))
	load := map[uuid.UUID]int{}
	for _, r := range rows {
		load[r.Buddy] = r.N
	}
	return load
}

func (b *buddyBundle) setMaxLoad(n int) {
	b.t.Helper()
	_, err := b.d.NewRaw(`INSERT INTO engagement_settings (organization_id, buddy_max_load) VALUES (?, ?)`, b.org, n).Exec(b.ctx)
	require.NoError(b.t, err)
}

// pgArray is a text[] argument (never NULL).
func pgArray(ss []string) any {
	if ss == nil {
		ss = []string{}
	}
	return pgdialect.Array(ss)
}

const day = 24 * time.Hour

// TestSuggestBuddies_MatchingTable: candidates are scored and explained
// (team beats office, shared interests count up to a cap, active matches
// cost), and every exclusion rule keeps its person out of the list and
// makes a manual assignment fail naming the rule.
func TestSuggestBuddies_MatchingTable(t *testing.T) {
	t.Parallel()
	b := setupBuddies(t)
	team, office := b.team(), b.office()
	manager := b.member(500 * day)
	b.joinTeam(manager, team)
	q := b.hire(manager, &team, &office, profile{interests: []string{"Go", "Climbing", "Chess"}, skills: []string{"SQL"}})

	teamMate := b.buddy(200*day, profile{})
	b.joinTeam(teamMate, team)
	officeMate := b.buddy(400*day, profile{office: &office})
	manyShared := b.buddy(300*day, profile{interests: []string{"chess", "GO"}, skills: []string{"sql", "climbing", "rust"}})
	busyTeamMate := b.buddy(200*day, profile{})
	b.joinTeam(busyTeamMate, team)
	b.busy(busyTeamMate, manager, 1)
	sharer := b.buddy(200*day, profile{interests: []string{"climbing", "go"}})
	tenureJustEnough := b.buddy(90*day, profile{})

	b.setProfile(manager, profile{available: true})
	optedOut := b.member(200 * day)
	b.setProfile(optedOut, profile{office: &office})
	noProfile := b.member(200 * day)
	newcomer := b.buddy(89*day, profile{office: &office})
	fullTeamMate := b.buddy(200*day, profile{})
	b.joinTeam(fullTeamMate, team)
	b.busy(fullTeamMate, manager, 2)
	formerBuddy := b.buddy(200*day, profile{office: &office})
	b.match(b.onboarding(b.ctx, b.d, q, enums.OnboardingCancelled), q.HireUserID, formerBuddy, enums.BuddyMatchEnded)
	selfOnboarding := b.buddy(200*day, profile{office: &office})
	b.onboarding(b.ctx, b.d, db.BuddyQuery{OrganizationID: b.org, HireUserID: selfOnboarding, ManagerUserID: manager}, enums.OnboardingActive)

	got, err := db.SuggestBuddies(b.ctx, b.d, q)
	require.NoError(t, err)
	type row struct {
		user    uuid.UUID
		score   int
		reasons []string
	}
	want := []row{
		{teamMate, 40, []string{"same team"}},
		{officeMate, 30, []string{"same office"}}, // ties with manyShared, longer tenure
		{manyShared, 30, []string{"shared: go, climbing, chess, sql"}},
		{busyTeamMate, 25, []string{"same team", "1 active buddy"}},
		{sharer, 20, []string{"shared: go, climbing"}},
		{tenureJustEnough, 0, []string{}},
	}
	var gotRows []row
	for _, c := range got {
		gotRows = append(gotRows, row{c.UserID, c.Score, c.Reasons})
	}
	require.Equal(t, want, gotRows)

	limited, err := db.SuggestBuddies(b.ctx, b.d, db.BuddyQuery{OrganizationID: q.OrganizationID, HireUserID: q.HireUserID,
		ManagerUserID: q.ManagerUserID, TeamID: q.TeamID, OfficeID: q.OfficeID, StartDate: q.StartDate, Limit: 2})
	require.NoError(t, err)
	require.Len(t, limited, 2)
	assert.Equal(t, teamMate, limited[0].UserID)

	outsider := b.sibling().buddy(400*day, profile{})
	onboarding := b.onboarding(b.ctx, b.d, q, enums.OnboardingPreboarding)
	excluded := []struct {
		name string
		user uuid.UUID
		want error
		rule string
	}{
		{"the hire", q.HireUserID, db.ErrBuddyNotEligible, "is the hire"},
		{"the manager, even opted in", manager, db.ErrBuddyNotEligible, "is the hire's manager"},
		{"opted out", optedOut, db.ErrBuddyNotEligible, "has not opted in"},
		{"no profile", noProfile, db.ErrBuddyNotEligible, "has not opted in"},
		{"under 90 days", newcomer, db.ErrBuddyNotEligible, "joined less than 90 days"},
		{"this hire's buddy before", formerBuddy, db.ErrBuddyNotEligible, "was this hire's buddy before"},
		{"onboarding themselves", selfOnboarding, db.ErrBuddyNotEligible, "is onboarding themselves"},
		{"another organization's member", outsider, db.ErrBuddyNotEligible, "not a member of the organization"},
		{"load at the maximum", fullTeamMate, db.ErrBuddyOverloaded, "2 active of 2"},
	}
	for _, tt := range excluded {
		t.Run(tt.name, func(t *testing.T) {
			err := b.d.InTx(b.ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := db.AssignBuddy(ctx, tx, q, onboarding, tt.user, "HR's choice")
				return err
			})
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.rule)
		})
	}
}

// TestPickBuddy_StoresTheBestMatch: the pick is the top suggestion, stored
// with its score, reasons and source; a retried setup gets the same match.
func TestPickBuddy_StoresTheBestMatch(t *testing.T) {
	t.Parallel()
	b := setupBuddies(t)
	team, office := b.team(), b.office()
	manager := b.member(500 * day)
	teamMate := b.buddy(200*day, profile{})
	b.joinTeam(teamMate, team)
	b.buddy(400*day, profile{office: &office})
	q := b.hire(manager, &team, &office, profile{})

	var first, again *db.BuddyMatch
	require.NoError(t, b.d.InTx(b.ctx, func(ctx context.Context, tx bun.Tx) error {
		onboarding := b.onboarding(ctx, tx, q, enums.OnboardingPreboarding)
		var err error
		if first, err = db.PickBuddy(ctx, tx, q, onboarding); err != nil {
			return err
		}
		again, err = db.PickBuddy(ctx, tx, q, onboarding)
		return err
	}))
	require.NotNil(t, first)
	assert.Equal(t, teamMate, first.BuddyUserID)
	assert.Equal(t, first.ID, again.ID)

	var stored db.BuddyMatch
	require.NoError(t, b.d.NewSelect().Model(&stored).Where("id = ?", first.ID).Scan(b.ctx))
	assert.Equal(t, 40, stored.Score)
	assert.Equal(t, []string{"same team"}, stored.Reasons)
	assert.Equal(t, enums.BuddySourceAuto, stored.Source)
	assert.Equal(t, enums.BuddyMatchActive, stored.Status)
	assert.Equal(t, map[uuid.UUID]int{teamMate: 1}, b.activeLoad())
}

// TestPickBuddy_SpreadsHiresEvenly: equal candidates share hires evenly
// (everyone gets a second hire before anyone a third), nobody goes past
// the organization's maximum, and the hire after that gets nobody.
func TestPickBuddy_SpreadsHiresEvenly(t *testing.T) {
	t.Parallel()
	b := setupBuddies(t)
	b.setMaxLoad(3)
	manager := b.member(500 * day)
	var buddies []uuid.UUID
	for range 5 {
		buddies = append(buddies, b.buddy(200*day, profile{}))
	}
	each := func(n int) map[uuid.UUID]int {
		want := map[uuid.UUID]int{}
		for _, u := range buddies {
			want[u] = n
		}
		return want
	}
	for hire := 1; hire <= 15; hire++ {
		m, err := b.pick(b.hire(manager, nil, nil, profile{}))
		require.NoError(t, err)
		require.NotNil(t, m, "hire %d", hire)
		if hire%5 == 0 {
			require.Equal(t, each(hire/5), b.activeLoad(), "after %d hires", hire)
		}
	}
	m, err := b.pick(b.hire(manager, nil, nil, profile{}))
	require.NoError(t, err)
	assert.Nil(t, m, "every buddy is at the maximum")
	assert.Equal(t, each(3), b.activeLoad())
}

// TestPickBuddy_ConcurrentStartsNeverOverloadABuddy: 20 setups pick at
// once, ranking three buddies in different orders; exactly the six places
// (three buddies, two each) are given and no setup fails or deadlocks.
func TestPickBuddy_ConcurrentStartsNeverOverloadABuddy(t *testing.T) {
	t.Parallel()
	b := setupBuddies(t)
	team, officeX, officeY := b.team(), b.office(), b.office()
	manager := b.member(500 * day)
	inX := b.buddy(200*day, profile{office: &officeX})
	inY := b.buddy(200*day, profile{office: &officeY})
	inTeam := b.buddy(200*day, profile{})
	b.joinTeam(inTeam, team)
	var queries []db.BuddyQuery
	for i := range 20 {
		switch i % 3 {
		case 0:
			queries = append(queries, b.hire(manager, nil, &officeX, profile{}))
		case 1:
			queries = append(queries, b.hire(manager, nil, &officeY, profile{}))
		default:
			queries = append(queries, b.hire(manager, &team, nil, profile{}))
		}
	}

	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		matched, empty int
		errs           []error
	)
	for _, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := b.pick(q)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case m != nil:
				matched++
			default:
				empty++
			}
		}()
	}
	wg.Wait()
	require.Empty(t, errors.Join(errs...))
	assert.Equal(t, 6, matched)
	assert.Equal(t, 14, empty)
	assert.Equal(t, map[uuid.UUID]int{inX: 2, inY: 2, inTeam: 2}, b.activeLoad())
}

// TestAssignBuddy_ReplacesTheMatch: a manual assignment ends the automatic
// match with the reason and stores a scored manual one; repeating it
// changes nothing; the former buddy cannot come back.
func TestAssignBuddy_ReplacesTheMatch(t *testing.T) {
	t.Parallel()
	b := setupBuddies(t)
	team, office := b.team(), b.office()
	manager := b.member(500 * day)
	teamMate := b.buddy(200*day, profile{})
	b.joinTeam(teamMate, team)
	officeMate := b.buddy(400*day, profile{office: &office})
	q := b.hire(manager, &team, &office, profile{})
	auto, err := b.pick(q)
	require.NoError(t, err)
	require.Equal(t, teamMate, auto.BuddyUserID)

	assign := func(buddy uuid.UUID) (*db.BuddyMatch, error) {
		var m *db.BuddyMatch
		err := b.d.InTx(b.ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			m, err = db.AssignBuddy(ctx, tx, q, auto.OnboardingID, buddy, "sits next to the hire")
			return err
		})
		return m, err
	}
	manual, err := assign(officeMate)
	require.NoError(t, err)
	assert.Equal(t, enums.BuddySourceManual, manual.Source)
	assert.Equal(t, 30, manual.Score)
	assert.Equal(t, []string{"same office"}, manual.Reasons)

	var ended db.BuddyMatch
	require.NoError(t, b.d.NewSelect().Model(&ended).Where("id = ?", auto.ID).Scan(b.ctx))
	assert.Equal(t, enums.BuddyMatchEnded, ended.Status)
	assert.Equal(t, "sits next to the hire", ended.EndedReason)
	assert.NotNil(t, ended.EndedAt)
	assert.Equal(t, map[uuid.UUID]int{officeMate: 1}, b.activeLoad())

	again, err := assign(officeMate)
	require.NoError(t, err)
	assert.Equal(t, manual.ID, again.ID)

	_, err = assign(teamMate)
	require.ErrorIs(t, err, db.ErrBuddyNotEligible)
	assert.Equal(t, map[uuid.UUID]int{officeMate: 1}, b.activeLoad())
}
