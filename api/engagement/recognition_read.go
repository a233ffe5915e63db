package engagement

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// recognitionPageSize is the page size of the recognition lists when the
// request leaves it 0.
const recognitionPageSize = 20

// ListPendingRecognitions pages through the approval queue, oldest first.
func (s *recognitionServer) ListPendingRecognitions(ctx context.Context, req *connect.Request[engagementv1.ListPendingRecognitionsRequest]) (*connect.Response[engagementv1.ListPendingRecognitionsResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, recognitionDeciders); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListPendingRecognitions", msg.GetPageToken(), msg.GetPageSize(), recognitionPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.PendingRecognitions(ctx, s.DB, orgID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.ListPendingRecognitionsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(r *db.Recognition) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID })
	resp.Recognitions = recognitionsToProto(rows)
	return connect.NewResponse(resp), nil
}

// ListRecognitionFeed pages through the approved recognitions the caller
// may see, most recently approved first.
func (s *recognitionServer) ListRecognitionFeed(ctx context.Context, req *connect.Request[engagementv1.ListRecognitionFeedRequest]) (*connect.Response[engagementv1.ListRecognitionFeedResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListRecognitionFeed", msg.GetPageToken(), msg.GetPageSize(), recognitionPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.RecognitionFeed(ctx, s.DB, orgID, rpc.CallerID(ctx), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.ListRecognitionFeedResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(r *db.Recognition) (time.Time, uuid.UUID) { return *r.DecidedAt, r.ID })
	resp.Recognitions = recognitionsToProto(rows)
	return connect.NewResponse(resp), nil
}

// GetMyAllowance returns the caller's allowance of the current month in
// the organization's zone; a month not used yet is granted in full.
func (s *recognitionServer) GetMyAllowance(ctx context.Context, req *connect.Request[engagementv1.GetMyAllowanceRequest]) (*connect.Response[engagementv1.GetMyAllowanceResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	if err := recognitionMember(ctx, s.DB, orgID); err != nil {
		return nil, err
	}
	settings, err := db.EngagementSettingsOf(ctx, s.DB, orgID)
	if err != nil {
		return nil, err
	}
	a, err := db.AllowanceOf(ctx, s.DB, orgID, rpc.CallerID(ctx), db.AllowanceMonth(s.Now(), settings.TimeZone), settings.MonthlyAllowance)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.GetMyAllowanceResponse{Allowance: allowanceToProto(a)}), nil
}

// AddComment replies under an approved recognition the caller can see,
// and tells its recipient.
func (s *recognitionServer) AddComment(ctx context.Context, req *connect.Request[engagementv1.AddCommentRequest]) (*connect.Response[engagementv1.AddCommentResponse], error) {
	author := rpc.CallerID(ctx)
	var c *db.RecognitionComment
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := visibleRecognition(ctx, tx, uuid.MustParse(req.Msg.GetRecognitionId()))
		if err != nil {
			return err
		}
		if err := recognitionMember(ctx, tx, r.OrganizationID); err != nil {
			return err
		}
		if r.Status != enums.RecognitionApproved {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("only approved recognitions take comments; this one is "+r.Status))
		}
		c = &db.RecognitionComment{OrganizationID: r.OrganizationID, RecognitionID: r.ID, AuthorUserID: author, Body: req.Msg.GetBody()}
		if err := db.InsertRecognitionComment(ctx, tx, c); err != nil {
			return err
		}
		if err := rpc.Audit(ctx, tx, &author, &r.OrganizationID, "recognition", r.ID.String(), "comment",
			map[string]any{"comment_id": c.ID.String()}); err != nil {
			return err
		}
		if author == r.RecipientUserID {
			return nil
		}
		n := recognitionNotice(r, r.RecipientUserID, "recognition_comment", "New comment on your recognition", c.Body)
		n.SenderUserID = &author
		return db.Notify(ctx, tx, n)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.AddCommentResponse{Comment: commentToProto(c)}), nil
}

// ListComments pages through the comments of a recognition the caller
// can see, oldest first.
func (s *recognitionServer) ListComments(ctx context.Context, req *connect.Request[engagementv1.ListCommentsRequest]) (*connect.Response[engagementv1.ListCommentsResponse], error) {
	msg := req.Msg
	r, err := visibleRecognition(ctx, s.DB, uuid.MustParse(msg.GetRecognitionId()))
	if err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListComments", msg.GetPageToken(), msg.GetPageSize(), recognitionPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.RecognitionComments(ctx, s.DB, r.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.ListCommentsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(c *db.RecognitionComment) (time.Time, uuid.UUID) { return c.CreatedAt, c.ID })
	for i := range rows {
		resp.Comments = append(resp.Comments, commentToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// visibleRecognition loads a recognition of the caller's organization
// that its visibility lets the caller see; anything else is NotFound.
func visibleRecognition(ctx context.Context, idb bun.IDB, id uuid.UUID) (*db.Recognition, error) {
	r, err := db.RecognitionByID(ctx, idb, id)
	if err != nil {
		return nil, recognitionNotFound(err)
	}
	if err := recognitionRowAccess(ctx, idb, r.OrganizationID, rpc.AnyRole); err != nil {
		return nil, err
	}
	visible, err := db.RecognitionVisibleTo(ctx, idb, r, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	if !visible {
		return nil, recognitionNotFound(db.ErrNotFound)
	}
	return r, nil
}

func recognitionsToProto(rows []db.Recognition) []*engagementv1.Recognition {
	out := make([]*engagementv1.Recognition, 0, len(rows))
	for i := range rows {
		out = append(out, recognitionToProto(&rows[i]))
	}
	return out
}

func recognitionToProto(r *db.Recognition) *engagementv1.Recognition {
	out := &engagementv1.Recognition{Id: r.ID.String(), OrganizationId: r.OrganizationID.String(),
		SenderUserId: r.SenderUserID.String(), RecipientUserId: r.RecipientUserID.String(), Message: r.Message,
		Points: int32(r.Points), Visibility: recognitionVisibilities.Value(r.Visibility), Status: recognitionStatuses.Value(r.Status),
		DecidedByUserId: rpc.IDString(r.DecidedBy), DecisionNote: r.DecisionNote, CommentsCount: int32(r.CommentsCount),
		CreatedAt: timestamppb.New(r.CreatedAt), ExpiresAt: timestamppb.New(r.ExpiresAt)}
	if r.DecidedAt != nil {
		out.DecidedAt = timestamppb.New(*r.DecidedAt)
	}
	return out
}

func allowanceToProto(a *db.RecognitionAllowance) *engagementv1.RecognitionAllowance {
	return &engagementv1.RecognitionAllowance{Month: a.MonthKey.Format("2006-01"), Granted: int32(a.Granted),
		Spent: int32(a.Spent), Remaining: int32(a.Remaining())}
}

func commentToProto(c *db.RecognitionComment) *engagementv1.RecognitionComment {
	return &engagementv1.RecognitionComment{Id: c.ID.String(), RecognitionId: c.RecognitionID.String(),
		AuthorUserId: c.AuthorUserID.String(), Body: c.Body, CreatedAt: timestamppb.New(c.CreatedAt)}
}
