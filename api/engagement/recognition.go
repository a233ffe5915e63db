package engagement

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// recognitionServer implements convene.engagement.v1.RecognitionService:
// peer recognition paid from a monthly allowance (Bonusly's model), with
// approval above a threshold and refunds on rejection or expiry.
type recognitionServer struct{ Deps }

var _ engagementv1connect.RecognitionServiceHandler = (*recognitionServer)(nil)

// recognitionService binds RecognitionService for Domain.
func recognitionService(d Deps) rpc.Service {
	var impl engagementv1connect.RecognitionServiceHandler = &recognitionServer{Deps: d}
	return rpc.NewService(engagementv1connect.RecognitionServiceName, impl,
		engagementv1connect.NewRecognitionServiceHandler)
}

// recognitionDeciders may approve or reject recognitions (not their own).
var recognitionDeciders = []string{db.RoleOwner, db.RoleAdmin, db.RoleApprover}

// recognitionVisibilities maps the proto visibilities to recognitions.visibility.
var recognitionVisibilities = rpc.NewEnum(map[engagementv1.RecognitionVisibility]string{
	engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_PUBLIC:  enums.RecognitionPublic,
	engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_TEAM:    enums.RecognitionTeam,
	engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_PRIVATE: enums.RecognitionPrivate,
})

// recognitionStatuses maps the proto statuses to recognitions.status.
var recognitionStatuses = rpc.NewEnum(map[engagementv1.RecognitionStatus]string{
	engagementv1.RecognitionStatus_RECOGNITION_STATUS_PENDING:  enums.RecognitionPending,
	engagementv1.RecognitionStatus_RECOGNITION_STATUS_APPROVED: enums.RecognitionApproved,
	engagementv1.RecognitionStatus_RECOGNITION_STATUS_REJECTED: enums.RecognitionRejected,
	engagementv1.RecognitionStatus_RECOGNITION_STATUS_EXPIRED:  enums.RecognitionExpired,
})

// SendRecognition spends the caller's allowance and either pays the
// recipient at once or, above the approval threshold, queues the
// recognition for the approvers — all in one transaction, so the
// allowance, the recognition and its points never disagree.
func (s *recognitionServer) SendRecognition(ctx context.Context, req *connect.Request[engagementv1.SendRecognitionRequest]) (*connect.Response[engagementv1.SendRecognitionResponse], error) {
	msg, sender := req.Msg, rpc.CallerID(ctx)
	now := s.Now()
	r := &db.Recognition{ID: db.NewID(), OrganizationID: uuid.MustParse(msg.GetOrganizationId()), SenderUserID: sender,
		RecipientUserID: uuid.MustParse(msg.GetRecipientUserId()), Message: msg.GetMessage(), Points: int(msg.GetPoints()),
		Visibility: recognitionVisibilities.Name(msg.GetVisibility()), ExpiresAt: now.Add(db.RecognitionExpiry)}
	if r.RecipientUserID == sender {
		return nil, rpc.InvalidField("recipient_user_id", "you cannot recognize yourself")
	}
	var allowance *db.RecognitionAllowance
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := recognitionMember(ctx, tx, r.OrganizationID); err != nil {
			return err
		}
		if _, err := db.MemberRole(ctx, tx, r.OrganizationID, r.RecipientUserID); errors.Is(err, db.ErrNotFound) {
			return rpc.InvalidField("recipient_user_id", "is not a member of this organization")
		} else if err != nil {
			return err
		}
		settings, err := db.EngagementSettingsOf(ctx, tx, r.OrganizationID)
		if err != nil {
			return err
		}
		r.AllowanceMonth = db.AllowanceMonth(now, settings.TimeZone)
		if allowance, err = db.SpendAllowance(ctx, tx, r.OrganizationID, sender, r.AllowanceMonth, settings.MonthlyAllowance, r.Points); err != nil {
			return allowanceError(err)
		}
		return s.recordRecognition(ctx, tx, r, settings.ApprovalThreshold)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.SendRecognitionResponse{Recognition: recognitionToProto(r),
		Allowance: allowanceToProto(allowance)}), nil
}

// recognitionMember lets members of the organization through: platform
// staff who are not members cannot give or comment (the rows need a
// member).
func recognitionMember(ctx context.Context, tx bun.IDB, orgID uuid.UUID) error {
	role, err := rpc.OrgAccess(ctx, tx, orgID, rpc.AnyRole)
	if err != nil {
		return err
	}
	if role == rpc.StaffRole {
		return connect.NewError(connect.CodePermissionDenied, errors.New("only members of the organization take part in recognition"))
	}
	return nil
}

// allowanceError maps a refused spend to ResourceExhausted.
func allowanceError(err error) error {
	if errors.Is(err, db.ErrAllowanceExhausted) {
		return connect.NewError(connect.CodeResourceExhausted,
			errors.New("not enough recognition allowance left this month; send fewer points or wait for next month"))
	}
	return err
}

// recordRecognition inserts r, approved at once up to threshold points
// and paid, or pending and announced to the approvers above it.
func (s *recognitionServer) recordRecognition(ctx context.Context, tx bun.Tx, r *db.Recognition, threshold int) error {
	r.Status = enums.RecognitionPending
	if r.Points <= threshold {
		now := s.Now()
		r.Status, r.DecidedAt = enums.RecognitionApproved, &now
	}
	if err := db.InsertRecognition(ctx, tx, r); err != nil {
		return err
	}
	if err := rpc.Audit(ctx, tx, &r.SenderUserID, &r.OrganizationID, "recognition", r.ID.String(), "send",
		map[string]any{"recipient_user_id": r.RecipientUserID.String(), "points": r.Points, "status": r.Status}); err != nil {
		return err
	}
	if r.Status == enums.RecognitionApproved {
		return s.payRecognition(ctx, tx, r)
	}
	approvers, err := db.RecognitionApprovers(ctx, tx, r.OrganizationID, r.SenderUserID, r.RecipientUserID)
	if err != nil {
		return err
	}
	notes := make([]*db.Notification, 0, len(approvers))
	for _, a := range approvers {
		notes = append(notes, recognitionNotice(r, a, "recognition_pending", "Recognition to approve",
			fmt.Sprintf("A recognition of %d points waits for your decision.", r.Points)))
	}
	return db.Notify(ctx, tx, notes...)
}

// payRecognition gives an approved recognition's points to its recipient
// (once: the ledger key is the recognition's), tells them, and records
// recognition.sent (about the sender) and recognition.approved (about the
// recipient) for the rules.
func (s *recognitionServer) payRecognition(ctx context.Context, tx bun.Tx, r *db.Recognition) error {
	refType, refID := "recognition", r.ID.String()
	if r.Points > 0 {
		_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: r.OrganizationID, UserID: r.RecipientUserID,
			Amount: int64(r.Points), Type: enums.LedgerRecognitionReceived, ReferenceType: &refType, ReferenceID: &refID,
			Reason: "recognition", ActorUserID: &r.SenderUserID, IdempotencyKey: "recognition:" + refID})
		if err != nil && !errors.Is(err, db.ErrAlreadyRecorded) {
			return fmt.Errorf("pay recognition %s: %w", r.ID, err)
		}
	}
	if err := db.Notify(ctx, tx, recognitionNotice(r, r.RecipientUserID, "recognition_received", "You were recognized",
		fmt.Sprintf("You received a recognition worth %d points: %s", r.Points, r.Message))); err != nil {
		return err
	}
	payload := map[string]any{"recognition_id": refID, "points": r.Points, "visibility": r.Visibility,
		"sender_user_id": r.SenderUserID.String(), "recipient_user_id": r.RecipientUserID.String()}
	if err := s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: r.OrganizationID, Type: enums.EventRecognitionSent,
		SubjectUserID: &r.SenderUserID, ReferenceType: &refType, ReferenceID: &refID, Payload: payload}); err != nil {
		return err
	}
	return s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: r.OrganizationID, Type: enums.EventRecognitionApproved,
		SubjectUserID: &r.RecipientUserID, ReferenceType: &refType, ReferenceID: &refID, Payload: payload})
}

// recognitionNotice is an inbox row about r for one member.
func recognitionNotice(r *db.Recognition, to uuid.UUID, kind, title, message string) *db.Notification {
	return &db.Notification{RecipientUserID: to, SenderUserID: &r.SenderUserID, OrganizationID: &r.OrganizationID,
		Type: kind, Title: title, Message: message, ReferenceType: "recognition", ReferenceID: r.ID.String()}
}

// DecideRecognition approves (and pays) or rejects (and refunds) a
// pending recognition. The row lock makes concurrent decisions apply one
// after the other: the second finds it decided (FailedPrecondition).
func (s *recognitionServer) DecideRecognition(ctx context.Context, req *connect.Request[engagementv1.DecideRecognitionRequest]) (*connect.Response[engagementv1.DecideRecognitionResponse], error) {
	msg, caller := req.Msg, rpc.CallerID(ctx)
	var r *db.Recognition
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if r, err = db.RecognitionForUpdate(ctx, tx, uuid.MustParse(msg.GetRecognitionId())); err != nil {
			return recognitionNotFound(err)
		}
		if err := recognitionRowAccess(ctx, tx, r.OrganizationID, recognitionDeciders); err != nil {
			return err
		}
		if caller == r.SenderUserID || caller == r.RecipientUserID {
			return connect.NewError(connect.CodePermissionDenied, errors.New("you cannot decide a recognition you sent or received"))
		}
		if r.Status != enums.RecognitionPending {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the recognition is already %s", r.Status))
		}
		return s.decide(ctx, tx, r, caller, msg.GetApprove(), msg.GetNote())
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.DecideRecognitionResponse{Recognition: recognitionToProto(r)}), nil
}

// decide applies an approver's decision to the locked pending r.
func (s *recognitionServer) decide(ctx context.Context, tx bun.Tx, r *db.Recognition, by uuid.UUID, approve bool, note string) error {
	status, action := enums.RecognitionRejected, "reject"
	if approve {
		status, action = enums.RecognitionApproved, "approve"
	}
	if err := db.DecideRecognition(ctx, tx, r, status, &by, note, s.Now()); err != nil {
		return err
	}
	if err := rpc.Audit(ctx, tx, &by, &r.OrganizationID, "recognition", r.ID.String(), action,
		map[string]any{"note": note, "points": r.Points}); err != nil {
		return err
	}
	if approve {
		return s.payRecognition(ctx, tx, r)
	}
	return db.Notify(ctx, tx, recognitionNotice(r, r.SenderUserID, "recognition_rejected", "Recognition not approved",
		fmt.Sprintf("Your recognition was not approved; its %d points are back in your allowance. %s", r.Points, note)))
}

// recognitionRowAccess checks the caller's role for a recognition of
// orgID: someone outside the organization is told it does not exist; a
// member whose role is not allowed is PermissionDenied.
func recognitionRowAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string) error {
	if _, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole); err != nil {
		if code := connect.CodeOf(err); code == connect.CodePermissionDenied || code == connect.CodeNotFound {
			return connect.NewError(connect.CodeNotFound, errors.New("recognition not found"))
		}
		return err
	}
	_, err := rpc.OrgAccess(ctx, idb, orgID, allowed)
	return err
}

// recognitionNotFound turns a missing recognition into NotFound.
func recognitionNotFound(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("recognition not found"))
	}
	return err
}
