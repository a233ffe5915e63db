package social

// SafetyService: an alert is raised (TriggerAlert, an Update-with-Start
// of its workflow answering once the rows are recorded), acknowledged and
// resolved through the workflow's Updates, and read from its rows
// (safety_read.go).

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
	"github.com/convene/convene/workflows"
)

// alertClosedMsg is what an Update to an alert whose run has ended
// answers: it was resolved.
const alertClosedMsg = "the alert is resolved"

// safetyServer implements convene.social.v1.SafetyService.
type safetyServer struct {
	Deps
	socialv1connect.UnimplementedSafetyServiceHandler
}

// safetyService mounts SafetyService.
func safetyService(d Deps) rpc.Service {
	return rpc.NewService[socialv1connect.SafetyServiceHandler](socialv1connect.SafetyServiceName, &safetyServer{Deps: d},
		socialv1connect.NewSafetyServiceHandler)
}

// alertTypes maps the API's alert types to enums.AlertType*.
var alertTypes = rpc.NewEnum(map[socialv1.AlertType]string{
	socialv1.AlertType_ALERT_TYPE_HELP:       enums.AlertTypeHelp,
	socialv1.AlertType_ALERT_TYPE_MEDICAL:    enums.AlertTypeMedical,
	socialv1.AlertType_ALERT_TYPE_HARASSMENT: enums.AlertTypeHarassment,
	socialv1.AlertType_ALERT_TYPE_OTHER:      enums.AlertTypeOther,
})

// alertStatuses maps the API's alert statuses to enums.Alert*.
var alertStatuses = rpc.NewEnum(map[socialv1.AlertStatus]string{
	socialv1.AlertStatus_ALERT_STATUS_OPEN:            enums.AlertOpen,
	socialv1.AlertStatus_ALERT_STATUS_ACKNOWLEDGED:    enums.AlertAcknowledged,
	socialv1.AlertStatus_ALERT_STATUS_ESCALATED_HOST:  enums.AlertEscalatedHost,
	socialv1.AlertStatus_ALERT_STATUS_ESCALATED_STAFF: enums.AlertEscalatedStaff,
	socialv1.AlertStatus_ALERT_STATUS_RESOLVED:        enums.AlertResolved,
})

// alertOutcomes maps the API's outcomes to enums.AlertOutcome*.
var alertOutcomes = rpc.NewEnum(map[socialv1.AlertOutcome]string{
	socialv1.AlertOutcome_ALERT_OUTCOME_SAFE:        enums.AlertOutcomeSafe,
	socialv1.AlertOutcome_ALERT_OUTCOME_ASSISTED:    enums.AlertOutcomeAssisted,
	socialv1.AlertOutcome_ALERT_OUTCOME_FALSE_ALARM: enums.AlertOutcomeFalseAlarm,
	socialv1.AlertOutcome_ALERT_OUTCOME_OTHER:       enums.AlertOutcomeOther,
})

// TriggerAlert raises an alert to the caller's groups and answers it once
// recorded; a retry answers the recorded alert.
func (s *safetyServer) TriggerAlert(ctx context.Context, req *connect.Request[socialv1.TriggerAlertRequest]) (*connect.Response[socialv1.TriggerAlertResponse], error) {
	m := req.Msg
	if m.Latitude == nil && m.Longitude != nil {
		return nil, rpc.InvalidField("latitude", "give both latitude and longitude, or neither")
	}
	if m.Latitude != nil && m.Longitude == nil {
		return nil, rpc.InvalidField("longitude", "give both latitude and longitude, or neither")
	}
	callerID := rpc.CallerID(ctx)
	batchID := uuid.MustParse(workflows.SafetyAlertBatchID(callerID.String(), m.GetClientRequestId()))
	if alert, err := s.alertProto(ctx, batchID); err == nil {
		return connect.NewResponse(&socialv1.TriggerAlertResponse{Alert: alert}), nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	if err := s.requireOwnGroups(ctx, callerID, m.GetGroupIds()); err != nil {
		return nil, err
	}
	in, err := s.alertInput(ctx, callerID, batchID, m)
	if err != nil {
		return nil, err
	}
	if _, err := workflows.TriggerSafetyAlert(ctx, s.Temporal, s.TaskQueue, in); err != nil {
		return nil, alertWorkflowError(err, "trigger safety alert")
	}
	alert, err := s.alertProto(ctx, batchID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.TriggerAlertResponse{Alert: alert}), nil
}

// requireOwnGroups refuses a group the caller is not a member of, naming
// it (a group that does not exist is refused alike).
func (s *safetyServer) requireOwnGroups(ctx context.Context, callerID uuid.UUID, groupIDs []string) error {
	for _, id := range groupIDs {
		m, err := db.GroupMembership(ctx, s.DB, uuid.MustParse(id), callerID)
		if err != nil {
			return err
		}
		if m == nil {
			return rpc.DeniedField("group_ids", fmt.Sprintf("you are not a member of group %s", id))
		}
		if _, err := db.GroupByID(ctx, s.DB, m.GroupID); errors.Is(err, db.ErrNotFound) {
			return rpc.DeniedField("group_ids", fmt.Sprintf("group %s was deleted", id))
		} else if err != nil {
			return err
		}
	}
	return nil
}

// alertInput is the run's input: the request, the sender's name for its
// summary, and the configured escalation delays.
func (s *safetyServer) alertInput(ctx context.Context, callerID, batchID uuid.UUID, m *socialv1.TriggerAlertRequest) (workflows.SafetyAlertInput, error) {
	names, err := db.DisplayNames(ctx, s.DB, []uuid.UUID{callerID})
	if err != nil {
		return workflows.SafetyAlertInput{}, err
	}
	return workflows.SafetyAlertInput{BatchID: batchID.String(), SenderID: callerID.String(), ClientRequestID: m.GetClientRequestId(),
		GroupIDs: m.GetGroupIds(), AlertType: alertTypes.Name(m.GetAlertType()), Message: m.GetMessage(),
		Latitude: m.Latitude, Longitude: m.Longitude, SenderName: names[callerID],
		HostAfter: s.Safety.HostAfter, StaffAfter: s.Safety.StaffAfter, StaffRepeat: s.Safety.StaffRepeat}, nil
}

// AcknowledgeAlert acknowledges an open alert through its run.
func (s *safetyServer) AcknowledgeAlert(ctx context.Context, req *connect.Request[socialv1.AcknowledgeAlertRequest]) (*connect.Response[socialv1.AcknowledgeAlertResponse], error) {
	batchID := uuid.MustParse(req.Msg.GetAlertId())
	actor, err := s.alertActor(ctx, batchID)
	if err != nil {
		return nil, err
	}
	if err := s.updateAlert(ctx, batchID, workflows.UpdateAcknowledgeAlert, workflows.AlertAck{Actor: actor}); err != nil {
		return nil, err
	}
	alert, err := s.alertProto(ctx, batchID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.AcknowledgeAlertResponse{Alert: alert}), nil
}

// ResolveAlert resolves an open alert through its run.
func (s *safetyServer) ResolveAlert(ctx context.Context, req *connect.Request[socialv1.ResolveAlertRequest]) (*connect.Response[socialv1.ResolveAlertResponse], error) {
	m := req.Msg
	batchID := uuid.MustParse(m.GetAlertId())
	actor, err := s.alertActor(ctx, batchID)
	if err != nil {
		return nil, err
	}
	res := workflows.AlertResolution{Actor: actor, Outcome: alertOutcomes.Name(m.GetOutcome()), Note: m.GetNote()}
	if err := s.updateAlert(ctx, batchID, workflows.UpdateResolveAlert, res); err != nil {
		return nil, err
	}
	alert, err := s.alertProto(ctx, batchID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.ResolveAlertResponse{Alert: alert}), nil
}

// alertActor is the caller's standing on the alert: NotFound when there
// is no such alert, FailedPrecondition once it is resolved,
// PermissionDenied for someone neither its sender, in its groups, its
// host nor staff. The run decides what the sender may do.
func (s *safetyServer) alertActor(ctx context.Context, batchID uuid.UUID) (workflows.AlertActor, error) {
	b, err := db.AlertBatchByID(ctx, s.DB, batchID)
	if errors.Is(err, db.ErrNotFound) {
		return workflows.AlertActor{}, errAlertNotFound()
	}
	if err != nil {
		return workflows.AlertActor{}, err
	}
	st, err := s.standing(ctx, b)
	if err != nil {
		return workflows.AlertActor{}, err
	}
	if !st.visible() {
		return workflows.AlertActor{}, connect.NewError(connect.CodePermissionDenied,
			errors.New("only the alert's groups, the hosts of its events and staff may answer it"))
	}
	if b.Status == enums.AlertResolved {
		return workflows.AlertActor{}, connect.NewError(connect.CodeFailedPrecondition, errors.New(alertClosedMsg))
	}
	return workflows.AlertActor{UserID: st.caller.String(), TargetMember: st.member, Host: st.host, Staff: st.staff}, nil
}

// updateAlert sends an Update to the alert's run and waits for its
// answer.
func (s *safetyServer) updateAlert(ctx context.Context, batchID uuid.UUID, name string, arg any) error {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.SafetyAlertWorkflowID(batchID.String()),
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	return alertWorkflowError(err, "safety alert "+name)
}

// alertWorkflowError maps a run's answer: a refusal to its code, an ended
// run to FailedPrecondition, and an overloaded or unreachable Temporal to
// Unavailable (retrying is safe: the request is idempotent), never
// Internal.
func alertWorkflowError(err error, what string) error {
	if err == nil {
		return nil
	}
	var unavailable *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &exhausted) || errors.As(err, &deadline) ||
		errors.Is(err, context.DeadlineExceeded) {
		return connect.NewError(connect.CodeUnavailable, fmt.Errorf("%s: the alert service is busy, retry the same request: %w", what, err))
	}
	return rpc.UpdateError(err, alertClosedMsg, what)
}

func errAlertNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("alert not found"))
}
