package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

func periodDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestQuestPeriod(t *testing.T) {
	t.Parallel()
	starts := time.Date(2026, 3, 10, 22, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)) // 11 March 03:30 UTC
	tests := []struct {
		name       string
		recurrence string
		at         time.Time
		want       string
	}{
		{"one-off: the UTC date of the start, whenever", enums.RecurrenceNone, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), "2026-03-11"},
		{"daily: the UTC date", enums.RecurrenceDaily, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), "2026-12-31"},
		{"daily: a local evening is the next UTC day", enums.RecurrenceDaily,
			time.Date(2026, 12, 31, 20, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), "2027-01-01"},
		{"weekly: a Monday is its own week", enums.RecurrenceWeekly, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), "2026-12-07"},
		{"weekly: a Sunday belongs to the Monday before", enums.RecurrenceWeekly, time.Date(2026, 12, 13, 23, 0, 0, 0, time.UTC), "2026-12-07"},
		{"weekly: ISO week 1 of 2026 starts in 2025", enums.RecurrenceWeekly, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), "2025-12-29"},
		{"weekly: Sunday 3 January 2027 is in the week of 28 December", enums.RecurrenceWeekly, time.Date(2027, 1, 3, 9, 0, 0, 0, time.UTC), "2026-12-28"},
		{"monthly: the 1st", enums.RecurrenceMonthly, time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC), "2026-01-01"},
		{"monthly: a leap day", enums.RecurrenceMonthly, time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), "2028-02-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := db.QuestPeriod(tt.recurrence, starts, tt.at)
			assert.Equal(t, tt.want, got.Format(time.DateOnly))
			assert.Equal(t, time.UTC, got.Location())
			assert.Zero(t, got.Hour()+got.Minute()+got.Second()+got.Nanosecond())
		})
	}
}

func TestQuestPeriodEnd(t *testing.T) {
	t.Parallel()
	farEnd := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		recurrence string
		period     string
		endsAt     time.Time
		want       time.Time
	}{
		{"one-off ends with the quest", enums.RecurrenceNone, "2026-03-11", farEnd, farEnd},
		{"daily: the next day", enums.RecurrenceDaily, "2026-12-31", farEnd, periodDay("2027-01-01")},
		{"weekly: the next Monday, across the year", enums.RecurrenceWeekly, "2026-12-28", farEnd, periodDay("2027-01-04")},
		{"monthly: January ends on 1 February", enums.RecurrenceMonthly, "2026-01-01", farEnd, periodDay("2026-02-01")},
		{"monthly: February of a leap year", enums.RecurrenceMonthly, "2028-02-01", farEnd, periodDay("2028-03-01")},
		{"monthly: December ends in the next year", enums.RecurrenceMonthly, "2026-12-01", farEnd, periodDay("2027-01-01")},
		{"the quest's end when sooner", enums.RecurrenceWeekly, "2026-12-28", time.Date(2026, 12, 30, 18, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 30, 18, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := db.QuestPeriodEnd(tt.recurrence, periodDay(tt.period), tt.endsAt)
			assert.True(t, tt.want.Equal(got), "got %s, want %s", got, tt.want)
		})
	}
}

// TestTakeQuestPlace_NeverPastTheLimit: places are taken up to
// max_participants, the next is ErrQuestFull and changes nothing; a freed
// place is taken again; freeing never goes below zero.
func TestTakeQuestPlace_NeverPastTheLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	places := 2
	q := &db.Quest{ID: db.NewID(), OrganizationID: org.ID, Title: "Explore", Points: 10, Recurrence: enums.RecurrenceNone,
		StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour), MaxParticipants: &places,
		ReviewSLAHours: 24, Status: enums.QuestPublished}
	_, err := d.NewInsert().Model(q).Exec(ctx)
	require.NoError(t, err)
	count := func() int {
		got, err := db.QuestOfRun(ctx, d, q.ID)
		require.NoError(t, err)
		return got.ParticipantsCount
	}

	require.NoError(t, db.TakeQuestPlace(ctx, d, q.ID))
	require.NoError(t, db.TakeQuestPlace(ctx, d, q.ID))
	require.ErrorIs(t, db.TakeQuestPlace(ctx, d, q.ID), db.ErrQuestFull)
	assert.Equal(t, 2, count())

	require.NoError(t, db.FreeQuestPlace(ctx, d, q.ID))
	require.NoError(t, db.TakeQuestPlace(ctx, d, q.ID))
	assert.Equal(t, 2, count())
	for range 3 {
		require.NoError(t, db.FreeQuestPlace(ctx, d, q.ID))
	}
	assert.Equal(t, 0, count(), "three places freed from two stop at zero")
}
