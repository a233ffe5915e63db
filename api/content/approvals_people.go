package content

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/workflows"
)

// SetOutOfOffice replaces (or clears) the caller's absence in an
// organization, then asks every open run where the caller is assigned to
// resolve its step's approvers again, so the delegate takes over at once.
func (s *approvalServer) SetOutOfOffice(ctx context.Context, req *connect.Request[contentv1.SetOutOfOfficeRequest]) (*connect.Response[contentv1.SetOutOfOfficeResponse], error) {
	m, userID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(m.GetOrganizationId())
	var d *db.ApprovalDelegation
	var runs []db.OpenRunOfAssignment
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := orgRowAccess(ctx, tx, orgID, rpc.AnyRole, "organization"); err != nil {
			return err
		}
		if err := db.RevokeApprovalDelegations(ctx, tx, orgID, userID, s.Now()); err != nil {
			return err
		}
		if !m.GetClear() {
			var err error
			if d, err = newDelegation(ctx, tx, orgID, userID, m); err != nil {
				return err
			}
		}
		var err error
		if runs, err = db.OpenRunsAssigning(ctx, tx, orgID, userID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &orgID, "approval_delegation", userID.String(), "set_out_of_office",
			map[string]any{"clear": m.GetClear(), "delegate_user_id": m.GetDelegateUserId()})
	})
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		id := workflows.ContentApprovalWorkflowID(r.ContentID.String(), r.Version)
		if err := s.Temporal.SignalWorkflow(ctx, id, "", workflows.SignalAssigneesChanged, nil); err != nil {
			s.Log.WarnContext(ctx, "tell approval run its assignees changed", "workflow_id", id, "error", err)
		}
	}
	out := &contentv1.SetOutOfOfficeResponse{}
	if d != nil {
		out.OutOfOffice = &contentv1.OutOfOffice{Id: d.ID.String(), UserId: d.UserID.String(), DelegateUserId: d.DelegateUserID.String(),
			StartsAt: timestamppb.New(d.StartsAt), EndsAt: timestamppb.New(d.EndsAt)}
	}
	return connect.NewResponse(out), nil
}

// newDelegation records the absence m describes; its delegate must be
// another member.
func newDelegation(ctx context.Context, tx bun.Tx, orgID, userID uuid.UUID, m *contentv1.SetOutOfOfficeRequest) (*db.ApprovalDelegation, error) {
	delegate := uuid.MustParse(m.GetDelegateUserId())
	if delegate == userID {
		return nil, rpc.InvalidField("delegate_user_id", "must be someone other than you")
	}
	strangers, err := db.NonMemberIDs(ctx, tx, orgID, []uuid.UUID{delegate})
	if err != nil {
		return nil, err
	}
	if len(strangers) > 0 {
		return nil, rpc.InvalidField("delegate_user_id", "is not a member of the organization")
	}
	d := &db.ApprovalDelegation{ID: db.NewID(), OrganizationID: orgID, UserID: userID, DelegateUserID: delegate,
		StartsAt: m.GetStartsAt().AsTime(), EndsAt: m.GetEndsAt().AsTime()}
	return d, db.InsertApprovalDelegation(ctx, tx, d)
}

// reviewLinkPath is where a review link's holder opens it; the token
// follows.
const reviewLinkPath = "/review/"

// CreateExternalReviewLink lets someone outside the organization vote
// once on a step of the version in review. Only the token's hash is
// stored; the token is in this answer alone. Owners and admins create
// links, never for their own content.
func (s *approvalServer) CreateExternalReviewLink(ctx context.Context, req *connect.Request[contentv1.CreateExternalReviewLinkRequest]) (*connect.Response[contentv1.CreateExternalReviewLinkResponse], error) {
	m, userID := req.Msg, rpc.CallerID(ctx)
	token, hash, err := newReviewToken()
	if err != nil {
		return nil, err
	}
	link := &db.ExternalReviewLink{ID: db.NewID(), StepNumber: int(m.GetStep()), TokenHash: hash, ReviewerName: m.GetReviewerName(),
		ReviewerEmail: m.GetReviewerEmail(), CreatedBy: &userID, ExpiresAt: s.Now().Add(time.Duration(m.GetExpiresInHours()) * time.Hour)}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := s.reviewableRequest(ctx, tx, m)
		if err != nil {
			return err
		}
		link.OrganizationID, link.ApprovalRequestID = r.OrganizationID, r.ID
		if err := db.InsertExternalReviewLink(ctx, tx, link); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &r.OrganizationID, "content", m.GetContentId(), "review_link.create",
			map[string]any{"version": r.Version, "step": link.StepNumber, "reviewer": link.ReviewerName, "link_id": link.ID})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateExternalReviewLinkResponse{Token: token, Url: reviewLinkPath + token,
		ExpiresAt: timestamppb.New(link.ExpiresAt)}), nil
}

// reviewableRequest is the open request of m's content version, checked
// for the caller (an owner or admin, not the author) and the step.
func (s *approvalServer) reviewableRequest(ctx context.Context, tx bun.Tx, m *contentv1.CreateExternalReviewLinkRequest) (*db.ApprovalRequest, error) {
	c, err := db.ApprovalContentByID(ctx, tx, uuid.MustParse(m.GetContentId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	}
	if err != nil {
		return nil, err
	}
	if err := orgRowAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles, "content"); err != nil {
		return nil, err
	}
	if c.AuthorUserID == rpc.CallerID(ctx) {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("authors cannot invite reviewers of their own content"))
	}
	r, err := db.OpenApprovalRequestOfContent(ctx, tx, c.ID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && r.Version != int(m.GetVersion())) {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("version %d is not in review", m.GetVersion()))
	}
	if err != nil {
		return nil, err
	}
	if step := int(m.GetStep()); step < r.CurrentStep || step > len(r.Steps) {
		return nil, rpc.InvalidField("step", fmt.Sprintf("must be between the current step %d and the last, %d", r.CurrentStep, len(r.Steps)))
	}
	return r, nil
}

// GetExternalReview shows a review link's holder what to review.
func (s *approvalServer) GetExternalReview(ctx context.Context, req *connect.Request[contentv1.GetExternalReviewRequest]) (*connect.Response[contentv1.GetExternalReviewResponse], error) {
	link, r, err := s.usableLink(ctx, req.Msg.GetToken())
	if err != nil {
		return nil, err
	}
	c, err := db.ApprovalContentByID(ctx, s.DB, r.ContentID)
	if err != nil {
		return nil, err
	}
	v, err := db.ApprovalContentVersion(ctx, s.DB, r.ContentID, r.Version)
	if err != nil {
		return nil, err
	}
	out := &contentv1.GetExternalReviewResponse{ContentId: c.ID.String(), ContentType: triggerContentTypes.Value(c.ContentType),
		Version: &contentv1.ContentVersion{Version: int32(v.Version), Title: v.Title, Caption: v.Caption, Body: v.Body,
			Hashtags: v.Hashtags, CreatedBy: rpc.IDString(v.CreatedBy), CreatedAt: timestamppb.New(v.CreatedAt)},
		Step: int32(link.StepNumber), ReviewerName: link.ReviewerName, ExpiresAt: timestamppb.New(link.ExpiresAt)}
	if link.StepNumber <= len(r.Steps) {
		out.StepName = r.Steps[link.StepNumber-1].Name
	}
	return connect.NewResponse(out), nil
}

// ActAsExternalReviewer records a review link holder's vote; the run
// refuses it unless the link's step is the current one, and uses the link
// up with the vote.
func (s *approvalServer) ActAsExternalReviewer(ctx context.Context, req *connect.Request[contentv1.ActAsExternalReviewerRequest]) (*connect.Response[contentv1.ActAsExternalReviewerResponse], error) {
	link, r, err := s.usableLink(ctx, req.Msg.GetToken())
	if err != nil {
		return nil, err
	}
	update := map[contentv1.ApprovalActionType]string{
		contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_APPROVE:         workflows.UpdateApprove,
		contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REJECT:          workflows.UpdateReject,
		contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REQUEST_CHANGES: workflows.UpdateRequestChanges,
	}[req.Msg.GetAction()]
	st, err := s.sendVote(ctx, update, r.ContentID.String(), workflows.ContentVote{Version: r.Version, Step: link.StepNumber,
		ExternalReviewLinkID: link.ID.String(), Comment: req.Msg.GetComment()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.ActAsExternalReviewerResponse{State: st}), nil
}

// usableLink finds the link of a token and its request: an unknown token
// is NotFound; a used, revoked or expired link, or one whose request has
// closed, is FailedPrecondition.
func (s *approvalServer) usableLink(ctx context.Context, token string) (*db.ExternalReviewLink, *db.ApprovalRequest, error) {
	sum := sha256.Sum256([]byte(token))
	link, err := db.ReviewLinkByTokenHash(ctx, s.DB, sum[:])
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, connect.NewError(connect.CodeNotFound, errors.New("review link not found"))
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case link.UsedAt != nil:
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("this review link was already used"))
	case link.RevokedAt != nil:
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("this review link was revoked"))
	case !s.Now().Before(link.ExpiresAt):
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("this review link has expired"))
	}
	r, err := db.ApprovalRequestByID(ctx, s.DB, link.ApprovalRequestID)
	if err != nil {
		return nil, nil, err
	}
	if r.ResolvedAt != nil {
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("version %d is no longer in review", r.Version))
	}
	return link, r, nil
}

// newReviewToken makes a link's secret token and the hash that is stored.
func newReviewToken() (string, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("make review token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	return token, sum[:], nil
}
