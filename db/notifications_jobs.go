package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/convene/convene/db/enums"
)

// Audience kinds a notification job can target. New domains add theirs to
// audienceSelectors.
const (
	AudienceAllUsers            = "all_users"
	AudienceOrganizationMembers = "organization_members"
	AudienceEventAttendees      = "event_attendees"
	AudienceEventRequesters     = "event_requesters"
	AudienceInterest            = "interest"
	AudienceUserList            = "user_list"
	// AudienceConferenceAttendees: registered attendees of a conference
	// (Statuses filters conference_attendees.status instead).
	AudienceConferenceAttendees = "conference_attendees"
	// AudienceQuestParticipants: members approved in a quest (Statuses
	// filters quest_registration_requests.status instead).
	AudienceQuestParticipants = "quest_participants"
)

// Audience selects users; fields apply per kind.
type Audience struct {
	Kind           string      `json:"kind"`
	OrganizationID *uuid.UUID  `json:"organization_id,omitempty"`
	Roles          []string    `json:"roles,omitempty"`
	EventID        *uuid.UUID  `json:"event_id,omitempty"`
	Statuses       []string    `json:"statuses,omitempty"`
	InterestSlug   string      `json:"interest_slug,omitempty"`
	UserIDs        []uuid.UUID `json:"user_ids,omitempty"`
	ConferenceID   *uuid.UUID  `json:"conference_id,omitempty"`
	QuestID        *uuid.UUID  `json:"quest_id,omitempty"`
}

// Criteria is the union of Include minus the union of Exclude.
type Criteria struct {
	Include []Audience `json:"include"`
	Exclude []Audience `json:"exclude,omitempty"`
}

// NotificationJob is an admin's message to an audience.
type NotificationJob struct {
	bun.BaseModel `bun:"table:notification_jobs,alias:nj"`

	ID             uuid.UUID         `bun:"id,pk,type:uuid"`
	OrganizationID *uuid.UUID        `bun:"organization_id,type:uuid"`
	CreatedBy      uuid.UUID         `bun:"created_by,type:uuid,notnull"`
	Criteria       Criteria          `bun:"criteria,type:jsonb,notnull"`
	Channels       []string          `bun:"channels,array,notnull"`
	Category       string            `bun:"category,notnull"`
	TitleTemplate  string            `bun:"title_template,notnull"`
	BodyTemplate   string            `bun:"body_template,notnull"`
	Variables      map[string]string `bun:"variables,type:jsonb,notnull"`
	ScheduledAt    time.Time         `bun:"scheduled_at,notnull"`
	Status         string            `bun:"status,notnull"`
	CursorUserID   *uuid.UUID        `bun:"cursor_user_id,type:uuid"`
	ResolvedCount  int64             `bun:"resolved_count,notnull"`
	CompletedAt    *time.Time        `bun:"completed_at"`
	Timestamps
}

// NotificationItem is one recipient × channel of a job or of a direct
// notice: exactly one of JobID and NoticeID is set.
type NotificationItem struct {
	bun.BaseModel `bun:"table:notification_job_items,alias:ni"`

	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	JobID             uuid.UUID  `bun:"job_id,type:uuid,nullzero"`
	NoticeID          uuid.UUID  `bun:"notice_id,type:uuid,nullzero"`
	UserID            uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Channel           string     `bun:"channel,notnull"`
	Status            string     `bun:"status,notnull"`
	Attempts          int32      `bun:"attempts,notnull"`
	LastError         string     `bun:"last_error,notnull"`
	SkipReason        string     `bun:"skip_reason,notnull"`
	ProviderMessageID string     `bun:"provider_message_id,notnull"`
	DeliverAfter      *time.Time `bun:"deliver_after"`
	SentAt            *time.Time `bun:"sent_at"`
	Timestamps
}

// InsertNotificationJob stores a job.
func InsertNotificationJob(ctx context.Context, idb bun.IDB, j *NotificationJob) error {
	if _, err := idb.NewInsert().Model(j).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert notification job: %w", err)
	}
	return nil
}

// NotificationJobByID loads a job.
func NotificationJobByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*NotificationJob, error) {
	j := new(NotificationJob)
	if err := idb.NewSelect().Model(j).Where("nj.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "notification job %s", id)
	}
	return j, nil
}

// NotificationJobForUpdate row-locks a job.
func NotificationJobForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*NotificationJob, error) {
	j := new(NotificationJob)
	if err := tx.NewSelect().Model(j).Where("nj.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "notification job %s", id)
	}
	return j, nil
}

// SetNotificationJobStatus records a job's status; terminal ones stamp completed_at.
func SetNotificationJobStatus(ctx context.Context, idb bun.IDB, id uuid.UUID, status string) error {
	q := idb.NewUpdate().Model((*NotificationJob)(nil)).Set("status = ?, updated_at = now()", status).Where("id = ?", id)
	if enums.IsTerminalJobStatus(status) {
		q = q.Set("completed_at = coalesce(completed_at, now())")
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("set notification job status: %w", err)
	}
	return nil
}

// AdvanceJobCursor records a resolved page.
func AdvanceJobCursor(ctx context.Context, tx bun.Tx, id uuid.UUID, cursor uuid.UUID, resolved int) error {
	_, err := tx.NewUpdate().Model((*NotificationJob)(nil)).
		Set("cursor_user_id = ?, resolved_count = resolved_count + ?, updated_at = now()", cursor, resolved).
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("advance job cursor: %w", err)
	}
	return nil
}

// ListNotificationJobs lists jobs of an organization (nil: jobs without
// one), newest first.
func ListNotificationJobs(ctx context.Context, idb bun.IDB, orgID *uuid.UUID, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]NotificationJob, error) {
	var out []NotificationJob
	q := idb.NewSelect().Model(&out).OrderExpr("nj.created_at DESC, nj.id DESC").Limit(int64(limit))
	if orgID != nil {
		q = q.Where("nj.organization_id = ?", *orgID)
	} else {
		q = q.Where("nj.organization_id IS NULL")
	}
	if beforeID != uuid.Nil {
		q = q.Where("(nj.created_at, nj.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list notification jobs: %w", err)
	}
	return out, nil
}

// ResolveAudiencePage returns up to limit active users matching c with
// ids after the cursor, in id order (UUIDv7: creation order).
func ResolveAudiencePage(ctx context.Context, idb bun.IDB, c Criteria, after *uuid.UUID, limit int) ([]uuid.UUID, error) {
	q, err := audienceQuery(idb, c, after)
	if err != nil {
		return nil, err
	}
	q = q.Column("u.id").OrderExpr("u.id").Limit(int64(limit))
	if after != nil {
		q = q.Where("u.id > ?", *after)
	}
	var ids []uuid.UUID
	if err := q.Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("resolve audience: %w", err)
	}
	return ids, nil
}

// audienceQuery selects the active users matching c, as u. A non-nil
// after also bounds the selectors' own tables to users after it, so a page
// deep into a large audience reads only what is left of the membership
// index instead of merging it from the start.
func audienceQuery(idb bun.IDB, c Criteria, after *uuid.UUID) (*bun.SelectQuery, error) {
	include, includeArgs, err := unionOf(c.Include, after)
	if err != nil {
		return nil, err
	}
	q := idb.NewSelect().TableExpr("users AS u").Where("u.is_active").Where("("+include+")", includeArgs...)
	if len(c.Exclude) > 0 {
		exclude, excludeArgs, err := unionOf(c.Exclude, after)
		if err != nil {
			return nil, err
		}
		q = q.Where("NOT ("+exclude+")", excludeArgs...)
	}
	return q, nil
}

// unionOf ORs the selectors of audiences into one condition on u.id.
func unionOf(audiences []Audience, after *uuid.UUID) (string, []any, error) {
	var parts []string
	var args []any
	for _, a := range audiences {
		sel, ok := audienceSelectors[a.Kind]
		if !ok {
			return "", nil, fmt.Errorf("unknown audience kind %q", a.Kind)
		}
		cond, condArgs := sel(a, after)
		parts = append(parts, "("+cond+")")
		args = append(args, condArgs...)
	}
	if len(parts) == 0 {
		return "FALSE", nil, nil
	}
	return strings.Join(parts, " OR "), args, nil
}

// afterUser bounds a selector's user column to users after the cursor.
func afterUser(cond string, args []any, column string, after *uuid.UUID) (string, []any) {
	if after == nil {
		return cond, args
	}
	return cond + " AND " + column + " > ?", append(args, *after)
}

// audienceSelectors turns each audience kind into a condition on u.id;
// after, when set, is the page cursor (u.id > after holds already).
var audienceSelectors = map[string]func(a Audience, after *uuid.UUID) (string, []any){
	AudienceAllUsers: func(Audience, *uuid.UUID) (string, []any) { return "TRUE", nil },
	AudienceOrganizationMembers: func(a Audience, after *uuid.UUID) (string, []any) {
		cond, args := afterUser("EXISTS (SELECT 1 FROM organization_members om WHERE om.user_id = u.id AND om.organization_id = ?",
			[]any{a.OrganizationID}, "om.user_id", after)
		if len(a.Roles) > 0 {
			cond, args = cond+" AND om.role IN (?)", append(args, bun.In(a.Roles))
		}
		return cond + ")", args
	},
	AudienceEventAttendees: func(a Audience, after *uuid.UUID) (string, []any) {
		cond, args := afterUser("EXISTS (SELECT 1 FROM event_attendees ea WHERE ea.user_id = u.id AND ea.event_id = ?",
			[]any{a.EventID}, "ea.user_id", after)
		if len(a.Statuses) > 0 {
			cond, args = cond+" AND ea.status IN (?)", append(args, bun.In(a.Statuses))
		}
		return cond + ")", args
	},
	AudienceEventRequesters: func(a Audience, after *uuid.UUID) (string, []any) {
		cond, args := afterUser("EXISTS (SELECT 1 FROM event_requests er WHERE er.requester_user_id = u.id AND er.event_id = ?",
			[]any{a.EventID}, "er.requester_user_id", after)
		if len(a.Statuses) > 0 {
			cond, args = cond+" AND er.status IN (?)", append(args, bun.In(a.Statuses))
		}
		return cond + ")", args
	},
	AudienceConferenceAttendees: func(a Audience, after *uuid.UUID) (string, []any) {
		cond, args := afterUser("EXISTS (SELECT 1 FROM conference_attendees ca WHERE ca.user_id = u.id AND ca.conference_id = ?",
			[]any{a.ConferenceID}, "ca.user_id", after)
		return cond + " AND ca.status IN (?))", append(args, bun.In(statusesOr(a.Statuses, enums.AttendanceRegistered)))
	},
	AudienceQuestParticipants: func(a Audience, after *uuid.UUID) (string, []any) {
		cond, args := afterUser("EXISTS (SELECT 1 FROM quest_registration_requests qr WHERE qr.user_id = u.id AND qr.quest_id = ?",
			[]any{a.QuestID}, "qr.user_id", after)
		return cond + " AND qr.status IN (?))", append(args, bun.In(statusesOr(a.Statuses, enums.RegistrationApproved)))
	},
	AudienceInterest: func(a Audience, _ *uuid.UUID) (string, []any) {
		return `EXISTS (SELECT 1 FROM user_profiles up JOIN user_profile_interests upi ON upi.profile_id = up.id
			JOIN event_interests ei ON ei.id = upi.interest_id WHERE up.user_id = u.id AND ei.slug = ?)`, []any{a.InterestSlug}
	},
	AudienceUserList: func(a Audience, _ *uuid.UUID) (string, []any) {
		if len(a.UserIDs) == 0 {
			return "FALSE", nil
		}
		return "u.id IN (?)", []any{bun.In(a.UserIDs)}
	},
}

// statusesOr is statuses, or only def when none are given.
func statusesOr(statuses []string, def string) []string {
	if len(statuses) == 0 {
		return []string{def}
	}
	return statuses
}

// KnownAudienceKind reports whether kind can be resolved.
func KnownAudienceKind(kind string) bool { _, ok := audienceSelectors[kind]; return ok }

// NewItem is an item InsertItems created.
type NewItem struct {
	ID      uuid.UUID `bun:"id"`
	Channel string    `bun:"channel"`
}

// InsertItems creates the items of users × channels, skipping ones that
// exist (a retried page), and returns the items it created. The rows go
// in as three arrays unnested by one statement: a page of a thousand is
// one small message instead of a thousand formatted value lists.
func InsertItems(ctx context.Context, tx bun.Tx, jobID uuid.UUID, users []uuid.UUID, channels []string) ([]NewItem, error) {
	n := len(users) * len(channels)
	if n == 0 {
		return nil, nil
	}
	ids, userIDs, itemChannels := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	for _, u := range users {
		for _, ch := range channels {
			ids, userIDs, itemChannels = append(ids, NewID().String()), append(userIDs, u.String()), append(itemChannels, ch)
		}
	}
	var created []NewItem
	err := tx.NewRaw(`INSERT INTO notification_job_items (id, job_id, user_id, channel, status)
		SELECT i.id, ?, i.user_id, i.channel, ? FROM unnest(?::uuid[], ?::uuid[], ?::text[]) AS i (id, user_id, channel)
		ON CONFLICT (job_id, user_id, channel) DO NOTHING RETURNING id, channel`,
		jobID, enums.ItemPending, pgdialect.Array(ids), pgdialect.Array(userIDs), pgdialect.Array(itemChannels)).Scan(ctx, &created)
	if err != nil {
		return nil, fmt.Errorf("insert notification items: %w", err)
	}
	return created, nil
}

// InAppScope names the in-app items of one job that one delivery covers:
// either ItemIDs (batches enqueued before pages were named by their
// recipients) or every item of a recipient from FirstUserID to LastUserID,
// both included (a resolved page: its recipients are consecutive in id
// order, so the range holds exactly the page's items).
type InAppScope struct {
	ItemIDs                 []uuid.UUID
	FirstUserID, LastUserID uuid.UUID
}

// condition is the scope as a condition on the items aliased i.
func (s InAppScope) condition() (string, []any) {
	if len(s.ItemIDs) > 0 {
		ids := make([]string, len(s.ItemIDs))
		for k, id := range s.ItemIDs {
			ids[k] = id.String()
		}
		return "i.id = ANY(?::uuid[])", []any{pgdialect.Array(ids)}
	}
	return "i.user_id BETWEEN ? AND ?", []any{s.FirstUserID, s.LastUserID}
}

// InAppClaim is an in-app item ClaimPendingInApp settled: Sent, or
// skipped because its recipient opted out. Name is the recipient's, for
// rendering.
type InAppClaim struct {
	ItemID uuid.UUID `bun:"item_id"`
	UserID uuid.UUID `bun:"user_id"`
	Name   string    `bun:"name"`
	Sent   bool      `bun:"sent"`
}

// ClaimPendingInApp settles the still-pending in-app items of a job in
// scope with one UPDATE: sent, or skipped when the recipient turned the
// category off in-app (transactional categories cannot be turned off).
// The caller writes the inbox rows of the sent ones in the same
// transaction. The update's row locks and its status re-check make a
// concurrent or repeated claim of the same items return none of them, so
// no recipient gets a second row.
func ClaimPendingInApp(ctx context.Context, tx bun.Tx, jobID uuid.UUID, scope InAppScope, category string, transactional bool) ([]InAppClaim, error) {
	cond, condArgs := scope.condition()
	args := append([]any{enums.ItemSent, enums.ItemSkipped, "opted out of " + category + " on " + enums.ChannelInApp,
		transactional, category, enums.ChannelInApp, jobID, enums.ChannelInApp, enums.ItemPending}, condArgs...)
	args = append(args, enums.ItemPending)
	var claims []InAppClaim
	err := tx.NewRaw(`UPDATE notification_job_items ni SET
			status = CASE WHEN s.sent THEN ? ELSE ? END,
			skip_reason = CASE WHEN s.sent THEN '' ELSE ? END,
			sent_at = CASE WHEN s.sent THEN now() END,
			attempts = ni.attempts + 1, updated_at = now()
		FROM (SELECT i.id, coalesce(p.name, '') AS name, (?::boolean OR coalesce(np.enabled, true)) AS sent
			FROM notification_job_items i
			LEFT JOIN user_profiles p ON p.user_id = i.user_id
			LEFT JOIN notification_preferences np ON np.user_id = i.user_id AND np.category = ? AND np.channel = ?
			WHERE i.job_id = ? AND i.channel = ? AND i.status = ? AND `+cond+`) AS s
		WHERE ni.id = s.id AND ni.status = ?
		RETURNING ni.id AS item_id, ni.user_id, s.name, s.sent`, args...).Scan(ctx, &claims)
	if err != nil {
		return nil, fmt.Errorf("claim pending in-app items: %w", err)
	}
	return claims, nil
}

// JobProgress counts a job's items by status.
type JobProgress struct {
	Resolved, Pending, Sent, Failed, Skipped, Cancelled int64
}

// NotificationJobProgress counts a job's items by status.
func NotificationJobProgress(ctx context.Context, idb bun.IDB, jobID uuid.UUID) (JobProgress, error) {
	all, err := NotificationJobsProgress(ctx, idb, []uuid.UUID{jobID})
	return all[jobID], err
}

// CancelPendingItems cancels every item not yet delivered.
func CancelPendingItems(ctx context.Context, idb bun.IDB, jobID uuid.UUID) (int64, error) {
	res, err := idb.NewUpdate().Model((*NotificationItem)(nil)).Set("status = ?, updated_at = now()", enums.ItemCancelled).
		Where("job_id = ? AND status = ?", jobID, enums.ItemPending).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("cancel pending items: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// NotificationItemByID loads an item.
func NotificationItemByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*NotificationItem, error) {
	it := new(NotificationItem)
	if err := idb.NewSelect().Model(it).Where("ni.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "notification item %s", id)
	}
	return it, nil
}

// NotificationItemStatus reads only an item's status, e.g. to recheck it
// after a long wait.
func NotificationItemStatus(ctx context.Context, idb bun.IDB, id uuid.UUID) (string, error) {
	var status string
	if err := idb.NewSelect().Model((*NotificationItem)(nil)).Column("status").Where("id = ?", id).Scan(ctx, &status); err != nil {
		return "", notFound(err, "status of notification item %s", id)
	}
	return status, nil
}

// ItemForUpdate row-locks an item.
func ItemForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*NotificationItem, error) {
	it := new(NotificationItem)
	if err := tx.NewSelect().Model(it).Where("ni.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "notification item %s", id)
	}
	return it, nil
}

// UpdateItem writes an item's delivery state.
func UpdateItem(ctx context.Context, idb bun.IDB, it *NotificationItem) error {
	_, err := idb.NewUpdate().Model(it).
		Column("status", "attempts", "last_error", "skip_reason", "provider_message_id", "deliver_after", "sent_at").
		Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update notification item: %w", err)
	}
	return nil
}

// audienceTargetTables names the table each per-record audience kind
// selects from, to find the record's organization.
var audienceTargetTables = map[string]string{
	AudienceConferenceAttendees: "conferences",
	AudienceQuestParticipants:   "quests",
}

// AudienceTargetOrganization is the organization owning the conference or
// quest an audience of kind targets; ErrNotFound when there is none.
func AudienceTargetOrganization(ctx context.Context, idb bun.IDB, kind string, id uuid.UUID) (uuid.UUID, error) {
	table, ok := audienceTargetTables[kind]
	if !ok {
		return uuid.Nil, fmt.Errorf("audience kind %q targets no record", kind)
	}
	var orgID uuid.UUID
	err := idb.NewSelect().Table(table).Column("organization_id").Where("id = ?", id).Scan(ctx, &orgID)
	if err != nil {
		return uuid.Nil, notFound(err, "%s %s", table, id)
	}
	return orgID, nil
}
