package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// audienceWorld is a small population with one user in each situation an
// audience kind can select.
type audienceWorld struct {
	d                                            *db.DB
	org, event                                   uuid.UUID
	owner, member, attendee, waitlisted, musical uuid.UUID
	inactive                                     uuid.UUID
}

func newAudienceWorld(t *testing.T) *audienceWorld {
	t.Helper()
	ctx := context.Background()
	w := &audienceWorld{d: testenv.NewDB(t)}
	user := func(n int) uuid.UUID {
		u, _, err := db.CreateUserWithPhone(ctx, w.d, fmt.Sprintf("+1415666%04d", n))
		require.NoError(t, err)
		return u.ID
	}
	w.owner, w.member, w.attendee, w.waitlisted, w.musical, w.inactive = user(1), user(2), user(3), user(4), user(5), user(6)
	exec := func(q string, args ...any) {
		_, err := w.d.ExecContext(ctx, q, args...)
		require.NoError(t, err)
	}
	exec(`UPDATE users SET is_active = false WHERE id = ?`, w.inactive)
	w.org = db.NewID()
	exec(`INSERT INTO organizations (id, name, slug) VALUES (?, 'Org', 'audience-org')`, w.org)
	for u, role := range map[uuid.UUID]string{w.owner: "owner", w.member: "member", w.inactive: "member"} {
		exec(`INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, ?)`, db.NewID(), w.org, u, role)
	}
	require.NoError(t, db.SeedDemo(ctx, w.d))
	exec(`INSERT INTO user_profile_interests (profile_id, interest_id)
		SELECT p.id, i.id FROM user_profiles p, event_interests i WHERE p.user_id = ? AND i.slug = 'music'`, w.musical)
	w.event = db.NewID()
	exec(`INSERT INTO events (id, host_user_id, organization_id, title, slug, starts_at, ends_at, capacity, status, seats_taken, going_count)
		VALUES (?, ?, ?, 'E', 'audience-event', now() + interval '1 day', now() + interval '2 days', 10, 'published', 1, 1)`, w.event, w.owner, w.org)
	accepted, waiting := db.NewID(), db.NewID()
	exec(`INSERT INTO event_requests (id, event_id, requester_user_id, seats, status) VALUES (?, ?, ?, 1, 'accepted'), (?, ?, ?, 1, 'waitlisted')`,
		accepted, w.event, w.attendee, waiting, w.event, w.waitlisted)
	res := db.NewID()
	exec(`INSERT INTO capacity_reservations (id, reservation_key, event_id, user_id, request_id, seats, consumed, expires_at)
		VALUES (?, ?, ?, ?, ?, 1, true, now())`, res, "k", w.event, w.attendee, accepted)
	exec(`INSERT INTO event_attendees (id, event_id, user_id, request_id, reservation_id, seats) VALUES (?, ?, ?, ?, ?, 1)`,
		db.NewID(), w.event, w.attendee, accepted, res)
	return w
}

func TestResolveAudiencePage_EachKind(t *testing.T) {
	t.Parallel()
	w := newAudienceWorld(t)
	all := []uuid.UUID{w.owner, w.member, w.attendee, w.waitlisted, w.musical}
	host := db.DemoPhone // SeedDemo's host is a user too
	tests := []struct {
		name     string
		criteria db.Criteria
		want     []uuid.UUID
		plusHost bool
	}{
		{"all users (active only)", db.Criteria{Include: []db.Audience{{Kind: db.AudienceAllUsers}}}, all, true},
		{"organization members", db.Criteria{Include: []db.Audience{{Kind: db.AudienceOrganizationMembers, OrganizationID: &w.org}}}, []uuid.UUID{w.owner, w.member}, false},
		{"organization members by role", db.Criteria{Include: []db.Audience{{Kind: db.AudienceOrganizationMembers, OrganizationID: &w.org, Roles: []string{"owner"}}}}, []uuid.UUID{w.owner}, false},
		{"event attendees", db.Criteria{Include: []db.Audience{{Kind: db.AudienceEventAttendees, EventID: &w.event}}}, []uuid.UUID{w.attendee}, false},
		{"event requesters by status", db.Criteria{Include: []db.Audience{{Kind: db.AudienceEventRequesters, EventID: &w.event, Statuses: []string{"waitlisted"}}}}, []uuid.UUID{w.waitlisted}, false},
		{"interest", db.Criteria{Include: []db.Audience{{Kind: db.AudienceInterest, InterestSlug: "music"}}}, []uuid.UUID{w.musical}, false},
		{"explicit list", db.Criteria{Include: []db.Audience{{Kind: db.AudienceUserList, UserIDs: []uuid.UUID{w.member, w.inactive}}}}, []uuid.UUID{w.member}, false},
		{"include minus exclude", db.Criteria{
			Include: []db.Audience{{Kind: db.AudienceOrganizationMembers, OrganizationID: &w.org}, {Kind: db.AudienceEventRequesters, EventID: &w.event}},
			Exclude: []db.Audience{{Kind: db.AudienceOrganizationMembers, OrganizationID: &w.org, Roles: []string{"owner"}}},
		}, []uuid.UUID{w.member, w.attendee, w.waitlisted}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveAll(t, w.d, tc.criteria, 2)
			want := tc.want
			if tc.plusHost {
				h, err := db.UserByPhone(context.Background(), w.d, host)
				require.NoError(t, err)
				want = append(append([]uuid.UUID{}, want...), h.ID)
			}
			assert.ElementsMatch(t, want, got)
		})
	}
}

// resolveAll pages through an audience pageSize users at a time, as the
// notification-job workflow does, and checks no user comes twice.
func resolveAll(t *testing.T, d *db.DB, c db.Criteria, pageSize int) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	seen := map[uuid.UUID]bool{}
	var cursor *uuid.UUID
	for range 100 {
		page, err := db.ResolveAudiencePage(context.Background(), d, c, cursor, pageSize)
		require.NoError(t, err)
		for _, id := range page {
			require.False(t, seen[id], "user %s resolved twice", id)
			seen[id] = true
		}
		out = append(out, page...)
		if len(page) < pageSize {
			return out
		}
		cursor = &page[len(page)-1]
	}
	t.Fatal("audience never ended")
	return nil
}

func TestInsertItems_RetriedPageAddsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newAudienceWorld(t)
	job := &db.NotificationJob{ID: db.NewID(), CreatedBy: w.owner, Criteria: db.Criteria{Include: []db.Audience{{Kind: db.AudienceAllUsers}}},
		Channels: []string{enums.ChannelInApp, enums.ChannelPush}, Category: "c", TitleTemplate: "t", BodyTemplate: "b",
		Variables: map[string]string{}, ScheduledAt: time.Now(), Status: enums.JobScheduled}
	require.NoError(t, db.InsertNotificationJob(ctx, w.d, job))
	users := []uuid.UUID{w.member, w.attendee}
	for attempt, want := range []int{4, 0} {
		tx, err := w.d.BeginTx(ctx, nil)
		require.NoError(t, err)
		created, err := db.InsertItems(ctx, tx, job.ID, users, job.Channels)
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
		assert.Len(t, created, want, "attempt %d", attempt)
	}
	p, err := db.NotificationJobProgress(ctx, w.d, job.ID)
	require.NoError(t, err)
	assert.Equal(t, db.JobProgress{Resolved: 4, Pending: 4}, p)
}

func TestNotificationItem_ReadsFollowCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newAudienceWorld(t)
	job := &db.NotificationJob{ID: db.NewID(), CreatedBy: w.owner, Criteria: db.Criteria{Include: []db.Audience{{Kind: db.AudienceAllUsers}}},
		Channels: []string{enums.ChannelPush}, Category: "c", TitleTemplate: "t", BodyTemplate: "b",
		Variables: map[string]string{}, ScheduledAt: time.Now(), Status: enums.JobRunning}
	require.NoError(t, db.InsertNotificationJob(ctx, w.d, job))
	tx, err := w.d.BeginTx(ctx, nil)
	require.NoError(t, err)
	created, err := db.InsertItems(ctx, tx, job.ID, []uuid.UUID{w.member}, job.Channels)
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	require.Len(t, created, 1)

	item, err := db.NotificationItemByID(ctx, w.d, created[0].ID)
	require.NoError(t, err)
	assert.Equal(t, w.member, item.UserID)
	assert.Equal(t, enums.ItemPending, item.Status)
	_, err = db.CancelPendingItems(ctx, w.d, job.ID)
	require.NoError(t, err)
	status, err := db.NotificationItemStatus(ctx, w.d, item.ID)
	require.NoError(t, err)
	assert.Equal(t, enums.ItemCancelled, status)

	_, err = db.NotificationItemByID(ctx, w.d, db.NewID())
	require.ErrorIs(t, err, db.ErrNotFound)
	_, err = db.NotificationItemStatus(ctx, w.d, db.NewID())
	require.ErrorIs(t, err, db.ErrNotFound)
}
