package engagement

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/admission"
	"github.com/convene/convene/jobs/workflowstart"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/workflows"
)

// Rsvp records the caller's answer for an occurrence (members).
func (s *activityServer) Rsvp(ctx context.Context, req *connect.Request[engagementv1.RsvpRequest]) (*connect.Response[engagementv1.RsvpResponse], error) {
	ref, err := s.activityEvent(ctx, uuid.MustParse(req.Msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	var p *db.ActivityParticipation
	if req.Msg.GetGoing() {
		p, err = s.rsvpGoing(ctx, ref)
	} else {
		p, err = s.rsvpNotGoing(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.RsvpResponse{Participation: participationToProto(p)}), nil
}

// activityEvent loads an activity occurrence of an organization the
// caller belongs to; any other event is NotFound.
func (s *activityServer) activityEvent(ctx context.Context, eventID uuid.UUID) (*db.ActivityEventRef, error) {
	ref, err := db.ActivityEventRefByID(ctx, s.DB, eventID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	if err != nil || ref.ActivityID == nil || ref.OrganizationID == nil {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("activity event not found"))
	}
	if err := orgRowAccess(ctx, s.DB, *ref.OrganizationID, rpc.AnyRole, "activity event"); err != nil {
		return nil, err
	}
	return ref, nil
}

// rsvpGoing admits a free ticket order for the caller through the same
// admission as RequestToJoin; the participation, the activity.rsvp domain
// event, the audit row and the order's start job commit with it. A caller
// whose order is already open keeps it.
func (s *activityServer) rsvpGoing(ctx context.Context, ref *db.ActivityEventRef) (*db.ActivityParticipation, error) {
	caller := rpc.CallerID(ctx)
	ev, err := db.EventByID(ctx, s.DB, ref.ID)
	if err != nil {
		return nil, err
	}
	if ev.Status != db.EventPublished || !s.Now().Before(ev.StartsAt) {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the activity has started or is no longer open for RSVPs"))
	}
	st := orderStartOf(ev, caller, db.NewID())
	var p *db.ActivityParticipation
	var jobID int64
	_, err = s.desk.Admit(ctx, admission.Request{ID: uuid.MustParse(st.Input.RequestID), UserID: caller, Event: ev, Seats: 1},
		func(ctx context.Context, tx bun.Tx, in *admission.Request) error {
			var err error
			if p, err = s.recordRsvp(ctx, tx, ref, caller, &in.ID); err != nil {
				return err
			}
			jobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.TicketOrderArgs{Start: st}, s.Now())
			return err
		})
	switch {
	case errors.Is(err, admission.ErrOpenRequest):
		return s.openRsvp(ctx, ref.ID, caller)
	case errors.Is(err, admission.ErrNotPublished):
		return nil, connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, admission.ErrContended):
		return nil, connect.NewError(connect.CodeAborted, err)
	case err != nil:
		return nil, err
	}
	s.starts.Go(workflowstart.TicketOrderArgs{Start: st}, jobID)
	return p, nil
}

// openRsvp answers an RSVP going of a caller who already has an open
// order for the event: their participation, if that order is an RSVP's.
func (s *activityServer) openRsvp(ctx context.Context, eventID, caller uuid.UUID) (*db.ActivityParticipation, error) {
	p, err := db.ParticipationOf(ctx, s.DB, eventID, caller)
	if errors.Is(err, db.ErrNotFound) || (err == nil && p.Rsvp != db.RsvpGoing) {
		return nil, connect.NewError(connect.CodeAlreadyExists, admission.ErrOpenRequest)
	}
	return p, err
}

// rsvpNotGoing cancels the caller's open RSVP order through its workflow
// (which releases the seat), then records the answer.
func (s *activityServer) rsvpNotGoing(ctx context.Context, ref *db.ActivityEventRef) (*db.ActivityParticipation, error) {
	caller := rpc.CallerID(ctx)
	p, err := db.ParticipationOf(ctx, s.DB, ref.ID, caller)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	if err == nil && p.Rsvp == db.RsvpNotGoing {
		return p, nil
	}
	if err == nil && p.RequestID != nil {
		if err := s.cancelOrder(ctx, *p.RequestID, caller); err != nil {
			return nil, err
		}
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err = s.recordRsvp(ctx, tx, ref, caller, nil)
		return err
	})
	return p, err
}

// cancelOrder cancels an RSVP's ticket order if it is still open. An
// order admitted a moment ago may have no workflow yet: it is started
// from its row and the cancel sent again.
func (s *activityServer) cancelOrder(ctx context.Context, requestID, caller uuid.UUID) error {
	r, err := db.RequestByID(ctx, s.DB, requestID)
	if err != nil || !enums.IsOpenRequestStatus(r.Status) {
		return err
	}
	err = s.sendCancel(ctx, requestID, caller)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		ev, lerr := db.EventByID(ctx, s.DB, r.EventID)
		if lerr != nil {
			return lerr
		}
		if serr := workflows.StartTicketOrder(ctx, s.Temporal, s.TaskQueue, orderStartOf(ev, caller, requestID)); serr != nil {
			return serr
		}
		err = s.sendCancel(ctx, requestID, caller)
	}
	return rpc.UpdateError(err, "this RSVP's ticket order is closed", "ticket order")
}

func (s *activityServer) sendCancel(ctx context.Context, requestID, caller uuid.UUID) error {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.TicketOrderWorkflowID(requestID.String()), UpdateName: workflows.UpdateCancel,
		Args:         []any{workflows.CancelInput{ActorUserID: caller.String(), Reason: "RSVP: not going"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	return err
}

// recordRsvp writes the caller's answer (requestID: the order of an RSVP
// going), its activity.rsvp domain event and the audit row in tx.
func (s *activityServer) recordRsvp(ctx context.Context, tx bun.Tx, ref *db.ActivityEventRef, caller uuid.UUID, requestID *uuid.UUID) (*db.ActivityParticipation, error) {
	p := &db.ActivityParticipation{OrganizationID: *ref.OrganizationID, EventID: ref.ID, UserID: caller,
		Rsvp: db.RsvpNotGoing, RequestID: requestID}
	if requestID != nil {
		p.Rsvp = db.RsvpGoing
	}
	if err := db.UpsertRsvp(ctx, tx, p); err != nil {
		return nil, err
	}
	refType, refID := "event", ref.ID.String()
	err := s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: p.OrganizationID, Type: enums.EventActivityRSVP,
		SubjectUserID: &caller, ReferenceType: &refType, ReferenceID: &refID,
		Payload: map[string]any{"event_id": refID, "activity_id": ref.ActivityID.String(), "going": p.Rsvp == db.RsvpGoing}})
	if err != nil {
		return nil, err
	}
	return p, rpc.Audit(ctx, tx, &caller, &p.OrganizationID, "activity_participation", p.ID.String(), "activity.rsvp",
		map[string]any{"event_id": refID, "rsvp": p.Rsvp})
}

// SubmitFeedback stores the rating of a member who attended.
func (s *activityServer) SubmitFeedback(ctx context.Context, req *connect.Request[engagementv1.SubmitFeedbackRequest]) (*connect.Response[engagementv1.SubmitFeedbackResponse], error) {
	msg, caller := req.Msg, rpc.CallerID(ctx)
	ref, err := s.activityEvent(ctx, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	var p *db.ActivityParticipation
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := db.SetFeedback(ctx, tx, ref.ID, caller, int16(msg.GetRating()), msg.GetComment())
		if err != nil {
			return err
		}
		if !ok {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("only members who attended (checked in) can give feedback"))
		}
		if p, err = db.ParticipationOf(ctx, tx, ref.ID, caller); err != nil {
			return err
		}
		refType, refID := "event", ref.ID.String()
		err = s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: p.OrganizationID, Type: enums.EventActivityFeedback,
			SubjectUserID: &caller, ReferenceType: &refType, ReferenceID: &refID,
			Payload: map[string]any{"event_id": refID, "activity_id": ref.ActivityID.String(), "rating": msg.GetRating()}})
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &caller, &p.OrganizationID, "activity_participation", p.ID.String(), "activity.feedback",
			map[string]any{"event_id": refID, "rating": msg.GetRating()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.SubmitFeedbackResponse{Participation: participationToProto(p)}), nil
}

// ListParticipants pages through an occurrence's participations (members).
func (s *activityServer) ListParticipants(ctx context.Context, req *connect.Request[engagementv1.ListParticipantsRequest]) (*connect.Response[engagementv1.ListParticipantsResponse], error) {
	msg := req.Msg
	page, err := rpc.TimePage("ListParticipants", msg.GetPageToken(), msg.GetPageSize(), defaultParticipantPageSize)
	if err != nil {
		return nil, err
	}
	ref, err := s.activityEvent(ctx, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	rows, err := db.ListParticipations(ctx, s.DB, ref.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(p *db.ActivityParticipation) (time.Time, uuid.UUID) { return p.CreatedAt, p.ID })
	out := &engagementv1.ListParticipantsResponse{NextPageToken: next}
	for i := range rows {
		out.Participations = append(out.Participations, participationToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// orderStartOf is the start of the one-seat ticket order requestID of
// userID for ev, as RequestToJoin starts one.
func orderStartOf(ev *db.Event, userID, requestID uuid.UUID) workflows.TicketOrderStart {
	return workflows.TicketOrderStart{EventTitle: ev.Title, OrgID: rpc.IDString(ev.OrganizationID),
		Input: workflows.TicketOrderInput{RequestID: requestID.String(), EventID: ev.ID.String(), UserID: userID.String(), Seats: 1}}
}

// participationAttendance maps activity_participations.attendance.
var participationAttendance = rpc.NewEnum(map[engagementv1.ActivityAttendance]string{
	engagementv1.ActivityAttendance_ACTIVITY_ATTENDANCE_ATTENDED: db.AttendanceAttended,
	engagementv1.ActivityAttendance_ACTIVITY_ATTENDANCE_NO_SHOW:  db.AttendanceNoShow,
})

func participationToProto(p *db.ActivityParticipation) *engagementv1.ActivityParticipation {
	out := &engagementv1.ActivityParticipation{EventId: p.EventID.String(), UserId: p.UserID.String(),
		Rsvp: engagementv1.ActivityRsvp_ACTIVITY_RSVP_NOT_GOING, RequestId: rpc.IDString(p.RequestID),
		FeedbackComment: p.FeedbackComment, CreatedAt: timestamppb.New(p.CreatedAt)}
	if p.Rsvp == db.RsvpGoing {
		out.Rsvp = engagementv1.ActivityRsvp_ACTIVITY_RSVP_GOING
	}
	if p.Attendance != nil {
		out.Attendance = participationAttendance.Value(*p.Attendance)
	}
	if p.CheckInTime != nil {
		out.CheckInTime = timestamppb.New(*p.CheckInTime)
	}
	if p.FeedbackRating != nil {
		out.FeedbackRating = int32(*p.FeedbackRating)
	}
	return out
}
