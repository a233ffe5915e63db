package events

// Admission: RequestToJoin and an accepted invite decide the request in one
// Postgres transaction (internal/admission) together with the invite's use
// and the River job that starts the order's workflow, then start that
// workflow after commit and answer from the committed rows.

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/admission"
	"github.com/convene/convene/jobs/workflowstart"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// parallelOrderStarts bounds the order starts the API makes at once; in a
// rush the rest queue behind them while buyers already have their answer.
const parallelOrderStarts = 8

// admit decides the order st with the invite token ("" for none) and
// starts its workflow.
func (s *ticketingServer) admit(ctx context.Context, ev *db.Event, st workflows.TicketOrderStart, token string) (*eventsv1.JoinRequest, error) {
	if token == "" && ev.Visibility == visibilityPrivate {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("this event is invite-only"))
	}
	// Engagement (issue 11): an organization's activity events admit its members only.
	if ev.Visibility == db.EventVisibilityOrganization && ev.OrganizationID != nil {
		if _, err := rpc.OrgAccess(ctx, s.DB, *ev.OrganizationID, rpc.AnyRole); err != nil {
			return nil, err
		}
	}
	in := admission.Request{ID: uuid.MustParse(st.Input.RequestID), UserID: uuid.MustParse(st.Input.UserID), Event: ev,
		Seats: st.Input.Seats, Message: st.Input.Message}
	var jobID int64
	r, err := s.desk.Admit(ctx, in, func(ctx context.Context, tx bun.Tx, in *admission.Request) error {
		var err error
		if in.InviteID, err = s.useInvite(ctx, tx, ev, token, in.UserID); err != nil {
			return err
		}
		if in.InviteID != nil {
			st.Input.InviteID = in.InviteID.String()
		}
		jobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.TicketOrderArgs{Start: st}, s.Now())
		return err
	})
	if err != nil {
		return nil, admissionError(err)
	}
	s.startAdmitted(ctx, r, st, jobID)
	return s.requestToProto(ctx, r, ev)
}

// startAdmitted starts an admitted order's workflow. A paid hold waits for
// it, since the workflow creates the checkout the buyer pays at; every
// other order starts in the background, its buyer already answered. A
// start that fails is the River job's to make.
func (s *ticketingServer) startAdmitted(ctx context.Context, r *db.Request, st workflows.TicketOrderStart, jobID int64) {
	if r.Status != enums.RequestAwaitingPayment {
		s.starts.Go(workflowstart.TicketOrderArgs{Start: st}, jobID)
		return
	}
	if _, err := s.updateWithStart(ctx, st); err != nil {
		s.Log.Warn("start paid order; its River job will", "request_id", r.ID, "error", err)
		return
	}
	s.starts.Started(ctx, jobID)
}

// admissionError turns an admission's refusal into its Connect code.
func admissionError(err error) error {
	switch {
	case errors.Is(err, admission.ErrOpenRequest):
		return connect.NewError(connect.CodeAlreadyExists, err)
	case errors.Is(err, admission.ErrNotPublished):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, admission.ErrContended):
		return connect.NewError(connect.CodeAborted, err)
	}
	return err
}

// startOrderOf starts the workflow of an admitted request whose direct
// start has not happened yet (an update arrived first), or finds it.
func (s *ticketingServer) startOrderOf(ctx context.Context, r *db.Request) error {
	ev, err := db.EventByID(ctx, s.DB, r.EventID)
	if err != nil {
		return err
	}
	st := orderStart(ev, r.RequesterUserID, r.Seats, r.Message)
	st.Input.RequestID = r.ID.String()
	if r.ViaInviteID != nil {
		st.Input.InviteID = r.ViaInviteID.String()
	}
	return workflows.StartTicketOrder(ctx, s.Temporal, s.TaskQueue, st)
}

// isNotFound reports whether Temporal found no such workflow (or only a
// closed one, for an update).
func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
