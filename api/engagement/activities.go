package engagement

// Activities (ActivityService): templates, their scheduled occurrences
// (events of the organization, created ahead by the
// engagement.materialize_series job) and members' participation
// (activities_rsvp.go). An RSVP going is a free ticket order admitted by
// internal/admission, as RequestToJoin's; attendance is recorded by the
// ticketing CheckIn (engagement.Recorder.RecordCheckIn).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/admission"
	"github.com/convene/convene/jobs"
	"github.com/convene/convene/jobs/workflowstart"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// maxOccurrenceLength bounds one occurrence of an activity.
const maxOccurrenceLength = 7 * 24 * time.Hour

// Page sizes of the activity lists whose request has none.
const (
	defaultActivityPageSize    = 50
	defaultParticipantPageSize = 100
)

// parallelRsvpStarts bounds the ticket order starts RSVPs make at once.
const parallelRsvpStarts = 8

// activityServer implements convene.engagement.v1.ActivityService.
type activityServer struct {
	Deps
	// desk admits RSVPs going as RequestToJoin's orders are admitted;
	// starts starts their order workflows after commit.
	desk   *admission.Desk
	starts *workflowstart.BackgroundStarter
}

var _ engagementv1connect.ActivityServiceHandler = (*activityServer)(nil)

// activityService builds the ActivityService for Domain.
func activityService(d Deps) rpc.Service {
	s := &activityServer{Deps: d,
		desk:   &admission.Desk{DB: d.DB, Keys: d.Tickets, Notices: &jobs.Notices{River: d.River}, Now: d.Now, AuditSource: "api"},
		starts: workflowstart.NewStarter(d.Temporal, d.TaskQueue, d.River, d.Log).Background(parallelRsvpStarts)}
	return rpc.NewService(engagementv1connect.ActivityServiceName, engagementv1connect.ActivityServiceHandler(s), engagementv1connect.NewActivityServiceHandler)
}

// CreateActivity creates an active activity template (owners and admins).
func (s *activityServer) CreateActivity(ctx context.Context, req *connect.Request[engagementv1.CreateActivityRequest]) (*connect.Response[engagementv1.CreateActivityResponse], error) {
	msg, caller := req.Msg, rpc.CallerID(ctx)
	a := &db.Activity{ID: db.NewID(), OrganizationID: uuid.MustParse(msg.GetOrganizationId()), Name: msg.GetName(),
		Description: msg.GetDescription(), Category: msg.GetCategory(), DefaultDurationMinutes: msg.GetDefaultDurationMinutes(),
		Capacity: msg.GetCapacity(), FacilitatorUserID: rpc.OptionalID(msg.GetFacilitatorUserId()), IsActive: true, CreatedBy: &caller}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, a.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if a.FacilitatorUserID != nil {
			if _, err := db.MemberRole(ctx, tx, a.OrganizationID, *a.FacilitatorUserID); errors.Is(err, db.ErrNotFound) {
				return rpc.InvalidField("facilitator_user_id", "the facilitator must be a member of the organization")
			} else if err != nil {
				return err
			}
		}
		if err := db.InsertActivity(ctx, tx, a); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &caller, &a.OrganizationID, "activity", a.ID.String(), "activity.create",
			map[string]any{"name": a.Name, "capacity": a.Capacity})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CreateActivityResponse{Activity: activityToProto(a)}), nil
}

// ListActivities pages through an organization's activities (members).
func (s *activityServer) ListActivities(ctx context.Context, req *connect.Request[engagementv1.ListActivitiesRequest]) (*connect.Response[engagementv1.ListActivitiesResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	page, err := rpc.TimePage("ListActivities", msg.GetPageToken(), msg.GetPageSize(), defaultActivityPageSize)
	if err != nil {
		return nil, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	rows, err := db.ListActivities(ctx, s.DB, orgID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(a *db.Activity) (time.Time, uuid.UUID) { return a.CreatedAt, a.ID })
	out := &engagementv1.ListActivitiesResponse{NextPageToken: next}
	for i := range rows {
		out.Activities = append(out.Activities, activityToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// ScheduleActivityEvent creates the first occurrence and, with a
// recurrence, the series and the job that creates its next occurrences,
// in one transaction (owners and admins).
func (s *activityServer) ScheduleActivityEvent(ctx context.Context, req *connect.Request[engagementv1.ScheduleActivityEventRequest]) (*connect.Response[engagementv1.ScheduleActivityEventResponse], error) {
	msg, caller := req.Msg, rpc.CallerID(ctx)
	start, end := msg.GetStartsAt().AsTime(), msg.GetEndsAt().AsTime()
	if err := s.checkSchedule(start, end); err != nil {
		return nil, err
	}
	series, err := seriesOf(msg.GetRecurrence(), start, end)
	if err != nil {
		return nil, err
	}
	var ev *db.Event
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := s.schedulableActivity(ctx, tx, uuid.MustParse(msg.GetActivityId()))
		if err != nil {
			return err
		}
		ev, err = s.scheduleIn(ctx, tx, a, series, start, end, caller)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.ScheduleActivityEventResponse{Occurrence: occurrenceToProto(ev, msg.GetActivityId(), series)}), nil
}

// checkSchedule refuses an occurrence that starts in the past or lasts
// too long.
func (s *activityServer) checkSchedule(start, end time.Time) error {
	if !start.After(s.Now()) {
		return rpc.InvalidField("starts_at", "must be in the future")
	}
	if end.Sub(start) > maxOccurrenceLength || end.Sub(start) < time.Minute {
		return rpc.InvalidField("ends_at", "an occurrence lasts from one minute to 7 days")
	}
	return nil
}

// seriesOf turns a recurrence into an unsaved series starting at start;
// nil for none.
func seriesOf(r *engagementv1.ActivityRecurrence, start, end time.Time) (*db.ActivitySeries, error) {
	if r == nil {
		return nil, nil
	}
	tz := r.GetTimezone()
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return nil, rpc.InvalidField("recurrence.timezone", "not an IANA time zone")
	}
	s := &db.ActivitySeries{ID: db.NewID(), Freq: recurrenceFreqs.Name(r.GetFreq()), Interval: r.GetInterval(),
		ByWeekday: []int16{}, StartsAt: start, DurationMinutes: int32(end.Sub(start) / time.Minute), Timezone: tz,
		MaterializedUntil: start}
	for _, wd := range r.GetByWeekday() {
		s.ByWeekday = append(s.ByWeekday, int16(wd))
	}
	if s.Freq != "weekly" && len(s.ByWeekday) > 0 {
		return nil, rpc.InvalidField("recurrence.by_weekday", "only a weekly recurrence has weekdays")
	}
	if r.GetCount() > 0 {
		s.Count = new(r.GetCount())
	}
	if r.GetUntil() != nil {
		until := r.GetUntil().AsTime()
		if until.Before(start) {
			return nil, rpc.InvalidField("recurrence.until", "must not be before starts_at")
		}
		s.Until = &until
	}
	return s, nil
}

// schedulableActivity loads an active activity whose organization the
// caller manages; another organization's is NotFound.
func (s *activityServer) schedulableActivity(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.Activity, error) {
	a, err := db.ActivityByID(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("activity not found"))
	}
	if err != nil {
		return nil, err
	}
	if err := orgRowAccess(ctx, tx, a.OrganizationID, rpc.ManagerRoles, "activity"); err != nil {
		return nil, err
	}
	if !a.IsActive {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the activity is inactive and cannot be scheduled"))
	}
	return a, nil
}

// scheduleIn writes, in tx, the series (if any), the first occurrence,
// the job that materializes the series and the audit row.
func (s *activityServer) scheduleIn(ctx context.Context, tx bun.Tx, a *db.Activity, series *db.ActivitySeries, start, end time.Time, caller uuid.UUID) (*db.Event, error) {
	tz := "UTC"
	var seriesID *uuid.UUID
	if series != nil {
		series.OrganizationID, series.ActivityID, series.HostUserID = a.OrganizationID, a.ID, caller
		if err := db.InsertActivitySeries(ctx, tx, series); err != nil {
			return nil, err
		}
		tz, seriesID = series.Timezone, &series.ID
	}
	ev := db.ActivityOccurrenceEvent(a, caller, start, int32(end.Sub(start)/time.Minute), tz)
	ev.EndsAt = end
	if _, err := db.InsertOccurrence(ctx, tx, ev, a, seriesID); err != nil {
		return nil, err
	}
	if seriesID != nil {
		if _, err := s.River.InsertTx(ctx, tx.Tx, jobs.MaterializeSeriesArgs{SeriesID: seriesID}, nil); err != nil {
			return nil, fmt.Errorf("enqueue materializing series %s: %w", *seriesID, err)
		}
	}
	return ev, rpc.Audit(ctx, tx, &caller, &a.OrganizationID, "activity", a.ID.String(), "activity.schedule",
		map[string]any{"event_id": ev.ID.String(), "series_id": rpc.IDString(seriesID), "starts_at": start.Format(time.RFC3339)})
}

// recurrenceFreqs maps the proto frequencies to activity_series.freq.
var recurrenceFreqs = rpc.NewEnum(map[engagementv1.ActivityRecurrenceFreq]string{
	engagementv1.ActivityRecurrenceFreq_ACTIVITY_RECURRENCE_FREQ_DAILY:  "daily",
	engagementv1.ActivityRecurrenceFreq_ACTIVITY_RECURRENCE_FREQ_WEEKLY: "weekly",
})

// orgRowAccess checks the caller's role for a row of orgID: someone
// outside the organization is told the row (named by what) does not
// exist; a member whose role is not allowed is PermissionDenied.
func orgRowAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string, what string) error {
	if _, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole); err != nil {
		if code := connect.CodeOf(err); code == connect.CodePermissionDenied || code == connect.CodeNotFound {
			return connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
		}
		return err
	}
	if slices.Equal(allowed, rpc.AnyRole) {
		return nil
	}
	_, err := rpc.OrgAccess(ctx, idb, orgID, allowed)
	return err
}

func activityToProto(a *db.Activity) *engagementv1.Activity {
	return &engagementv1.Activity{Id: a.ID.String(), OrganizationId: a.OrganizationID.String(), Name: a.Name,
		Description: a.Description, Category: a.Category, DefaultDurationMinutes: a.DefaultDurationMinutes,
		Capacity: a.Capacity, FacilitatorUserId: rpc.IDString(a.FacilitatorUserID), IsActive: a.IsActive,
		CreatedAt: timestamppb.New(a.CreatedAt)}
}

func occurrenceToProto(ev *db.Event, activityID string, series *db.ActivitySeries) *engagementv1.ActivityOccurrence {
	out := &engagementv1.ActivityOccurrence{EventId: ev.ID.String(), ActivityId: activityID, Title: ev.Title,
		StartsAt: timestamppb.New(ev.StartsAt), EndsAt: timestamppb.New(ev.EndsAt), Capacity: ev.Capacity}
	if series != nil {
		out.SeriesId = series.ID.String()
	}
	return out
}
