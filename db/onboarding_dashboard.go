package db

// The onboarding reads of the API: one hire's onboarding with its tasks,
// buddy and check-ins (GetOnboarding), HR's dashboard (ListOnboardings)
// and a person's own tasks (ListMyOnboardingTasks). They read the rows the
// workflow's activities write, so a closed onboarding stays readable after
// its run is gone.

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// notBehindSortKey is the dashboard's sort key of an onboarding with
// nothing overdue: its start date a thousand years on, later than any due
// time, so those most behind come first (oldest overdue due first) and the
// rest follow by start date, under one keyset (sort key, id).
const notBehindSortKey = `((uo.start_date::timestamp + interval '1000 years') AT TIME ZONE 'UTC')`

// overdueStatuses are the statuses in which a pending task past its due
// time counts as overdue. A paused onboarding is not behind (its dues move
// when it resumes); a closed one has nothing left to do.
var overdueStatuses = []string{enums.OnboardingPreboarding, enums.OnboardingActive, enums.OnboardingBehind}

// OnboardingOfUser is the onboarding shown for a hire: the open one, else
// the one that started last. ErrNotFound if they never had one.
func OnboardingOfUser(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*UserOnboarding, error) {
	uo := new(UserOnboarding)
	err := idb.NewSelect().Model(uo).Where("uo.user_id = ?", userID).
		OrderExpr("uo.status IN (?, ?), uo.created_at DESC, uo.id DESC", enums.OnboardingCompleted, enums.OnboardingCancelled).
		Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "onboarding of %s", userID)
	}
	return uo, nil
}

// OnboardingDetail is one onboarding with everything GetOnboarding shows.
type OnboardingDetail struct {
	Onboarding *UserOnboarding
	// Tasks in the order they are due.
	Tasks []OnboardingTask
	// Buddy is the active match, else the last one (nil: never matched).
	Buddy *BuddyMatch
	// CheckIns are the manager's, by day.
	CheckIns []OnboardingCheckIn
}

// OnboardingDetailOf loads uo's tasks, buddy match and check-ins.
func OnboardingDetailOf(ctx context.Context, idb bun.IDB, uo *UserOnboarding) (*OnboardingDetail, error) {
	d := &OnboardingDetail{Onboarding: uo}
	if err := idb.NewSelect().Model(&d.Tasks).Where("otask.onboarding_id = ?", uo.ID).
		Order("otask.due_at", "otask.position", "otask.key").Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks of onboarding %s: %w", uo.ID, err)
	}
	var matches []BuddyMatch
	if err := idb.NewSelect().Model(&matches).Where("bm.onboarding_id = ?", uo.ID).
		OrderExpr("bm.status = ? DESC, bm.created_at DESC, bm.id DESC", enums.BuddyMatchActive).Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("buddy of onboarding %s: %w", uo.ID, err)
	}
	if len(matches) == 1 {
		d.Buddy = &matches[0]
	}
	if err := idb.NewSelect().Model(&d.CheckIns).Where("ochk.onboarding_id = ?", uo.ID).Order("ochk.day").Scan(ctx); err != nil {
		return nil, fmt.Errorf("check-ins of onboarding %s: %w", uo.ID, err)
	}
	return d, nil
}

// OnboardingFilter narrows HR's dashboard; zero fields do not filter.
type OnboardingFilter struct {
	OrganizationID uuid.UUID
	Status         string
	// BehindOnly keeps the onboardings with an overdue task.
	BehindOnly    bool
	OfficeID      *uuid.UUID
	ManagerUserID *uuid.UUID
}

// OnboardingDashboardRow is one line of HR's dashboard.
type OnboardingDashboardRow struct {
	UserOnboarding `bun:",extend"`

	// OverdueTasks are the pending tasks past due; OldestOverdueDue the
	// due time of the oldest of them (nil when none).
	OverdueTasks     int        `bun:"overdue_tasks,scanonly"`
	OldestOverdueDue *time.Time `bun:"oldest_overdue_due,scanonly"`
	// SortKey orders the dashboard: OldestOverdueDue, else the start date
	// a thousand years on. The page token's key.
	SortKey time.Time `bun:"sort_key,scanonly"`
	// The last check-in, if any.
	LastCheckInDay    *int       `bun:"last_checkin_day,scanonly"`
	LastCheckInRating *int       `bun:"last_checkin_rating,scanonly"`
	LastCheckInAt     *time.Time `bun:"last_checkin_at,scanonly"`
}

// OnboardingDashboard pages through an organization's onboardings, most
// behind first (the oldest overdue due time first, then those with nothing
// overdue by start date), after the row (afterKey, afterID). A task is overdue when it is
// pending past its due time at now in an onboarding that is neither paused
// nor closed.
func OnboardingDashboard(ctx context.Context, idb bun.IDB, f OnboardingFilter, now, afterKey time.Time, afterID uuid.UUID, limit int) ([]OnboardingDashboardRow, error) {
	var rows []OnboardingDashboardRow
	q := idb.NewSelect().Model(&rows).
		ColumnExpr("uo.*, od.overdue_tasks, od.oldest_overdue_due, lc.day AS last_checkin_day, lc.rating AS last_checkin_rating, lc.created_at AS last_checkin_at").
		ColumnExpr("COALESCE(od.oldest_overdue_due, "+notBehindSortKey+") AS sort_key").
		Join(`LEFT JOIN LATERAL (SELECT count(*) AS overdue_tasks, min(t.due_at) AS oldest_overdue_due FROM onboarding_tasks t
			WHERE t.onboarding_id = uo.id AND t.status = ? AND t.due_at < ? AND uo.status IN (?)) od ON true`,
			enums.TaskPending, now, bun.In(overdueStatuses)).
		Join(`LEFT JOIN LATERAL (SELECT c.day, c.rating, c.created_at FROM onboarding_checkins c
			WHERE c.onboarding_id = uo.id ORDER BY c.created_at DESC, c.day DESC LIMIT 1) lc ON true`).
		Where("uo.organization_id = ?", f.OrganizationID).
		OrderExpr("sort_key, uo.id").Limit(int64(limit))
	if f.Status != "" {
		q = q.Where("uo.status = ?", f.Status)
	}
	if f.BehindOnly {
		q = q.Where("od.overdue_tasks > 0")
	}
	if f.OfficeID != nil {
		q = q.Where("uo.office_id = ?", *f.OfficeID)
	}
	if f.ManagerUserID != nil {
		q = q.Where("uo.manager_user_id = ?", *f.ManagerUserID)
	}
	if afterID != uuid.Nil {
		q = q.Where("(COALESCE(od.oldest_overdue_due, "+notBehindSortKey+"), uo.id) > (?, ?)", afterKey, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list onboardings of %s: %w", f.OrganizationID, err)
	}
	return rows, nil
}

// MyOnboardingTask is one task assigned to someone, with whose onboarding
// it belongs to.
type MyOnboardingTask struct {
	OnboardingTask `bun:",extend"`

	HireUserID       uuid.UUID `bun:"hire_user_id,scanonly"`
	OnboardingStatus string    `bun:"onboarding_status,scanonly"`
}

// OnboardingTasksAssignedTo pages through the tasks assigned to userID in
// open onboardings, the earliest due first, after the row (afterDue,
// afterID): the pending ones, or every one with includeClosed; orgID
// limits them to one organization.
func OnboardingTasksAssignedTo(ctx context.Context, idb bun.IDB, userID uuid.UUID, orgID *uuid.UUID, includeClosed bool, afterDue time.Time, afterID uuid.UUID, limit int) ([]MyOnboardingTask, error) {
	var rows []MyOnboardingTask
	q := idb.NewSelect().Model(&rows).
		ColumnExpr("otask.*, uo.user_id AS hire_user_id, uo.status AS onboarding_status").
		Join("JOIN user_onboardings uo ON uo.id = otask.onboarding_id").
		Where("otask.assignee_user_id = ?", userID).
		Where("uo.status NOT IN (?, ?)", enums.OnboardingCompleted, enums.OnboardingCancelled).
		Order("otask.due_at", "otask.id").Limit(int64(limit))
	if !includeClosed {
		q = q.Where("otask.status = ?", enums.TaskPending)
	}
	if orgID != nil {
		q = q.Where("otask.organization_id = ?", *orgID)
	}
	if afterID != uuid.Nil {
		q = q.Where("(otask.due_at, otask.id) > (?, ?)", afterDue, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list onboarding tasks of %s: %w", userID, err)
	}
	return rows, nil
}

// WasBuddyOf reports whether buddyID is or was hireID's buddy in orgID: a
// pair is matched at most once (buddy_matches is unique on it).
func WasBuddyOf(ctx context.Context, idb bun.IDB, orgID, hireID, buddyID uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().Model((*BuddyMatch)(nil)).
		Where("organization_id = ? AND user_id = ? AND buddy_user_id = ?", orgID, hireID, buddyID).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("buddy matches of %s with %s: %w", hireID, buddyID, err)
	}
	return ok, nil
}
