package social

// ModerationService: reports of messages and users, and their resolution
// by the moderators of the place where it happened.

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
)

// reportStatuses maps the API's report statuses to enums.Report*.
var reportStatuses = rpc.NewEnum(map[socialv1.ReportStatus]string{
	socialv1.ReportStatus_REPORT_STATUS_OPEN:      enums.ReportOpen,
	socialv1.ReportStatus_REPORT_STATUS_DISMISSED: enums.ReportDismissed,
	socialv1.ReportStatus_REPORT_STATUS_ACTIONED:  enums.ReportActioned,
})

// reportTargets maps the API's report targets to enums.ReportTarget*.
var reportTargets = rpc.NewEnum(map[socialv1.ReportTarget]string{
	socialv1.ReportTarget_REPORT_TARGET_MESSAGE: enums.ReportTargetMessage,
	socialv1.ReportTarget_REPORT_TARGET_USER:    enums.ReportTargetUser,
})

// ReportMessage reports a message of a group the caller reads.
func (s *moderationServer) ReportMessage(ctx context.Context, req *connect.Request[socialv1.ReportMessageRequest]) (*connect.Response[socialv1.ReportMessageResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	msgID := uuid.MustParse(m.GetMessageId())
	if err := checkReason(m.GetReason()); err != nil {
		return nil, err
	}
	notFound := connect.NewError(connect.CodeNotFound, errors.New("message not found"))
	var rep *db.Report
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		msg, err := db.MessageToReport(ctx, tx, msgID)
		if errors.Is(err, db.ErrNotFound) {
			return notFound
		} else if err != nil {
			return err
		}
		ga, err := loadGroupAccess(ctx, tx, msg.GroupID)
		if connect.CodeOf(err) == connect.CodeNotFound || err == nil && !ga.CanRead() {
			return notFound
		} else if err != nil {
			return err
		}
		if msg.SenderID == callerID {
			return rpc.InvalidField("message_id", "you cannot report your own message")
		}
		rep = &db.Report{ReporterID: callerID, TargetType: enums.ReportTargetMessage, MessageID: &msg.ID,
			ReportedUserID: msg.SenderID, EventID: &msg.EventID, GroupID: &msg.GroupID, Reason: m.GetReason()}
		return s.fileReport(ctx, tx, rep, ga.Event.OrganizationID)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.ReportMessageResponse{Report: reportToProto(rep)}), nil
}

// ReportUser reports a user the caller shares a group or an event with.
func (s *moderationServer) ReportUser(ctx context.Context, req *connect.Request[socialv1.ReportUserRequest]) (*connect.Response[socialv1.ReportUserResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	userID, eventID := uuid.MustParse(m.GetUserId()), rpc.OptionalID(m.GetEventId())
	if userID == callerID {
		return nil, rpc.InvalidField("user_id", "you cannot report yourself")
	}
	if err := checkReason(m.GetReason()); err != nil {
		return nil, err
	}
	var rep *db.Report
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var org *uuid.UUID
		if eventID != nil {
			ea, err := loadEventAccess(ctx, tx, *eventID)
			if err != nil {
				return err
			}
			org = ea.Event.OrganizationID
		}
		shared, err := db.SharesPlace(ctx, tx, callerID, userID, eventID)
		if err != nil {
			return err
		}
		if !shared {
			return rpc.DeniedField("user_id", "you can report only people who share a group or an event with you")
		}
		rep = &db.Report{ReporterID: callerID, TargetType: enums.ReportTargetUser, ReportedUserID: userID, EventID: eventID,
			Reason: m.GetReason()}
		return s.fileReport(ctx, tx, rep, org)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.ReportUserResponse{Report: reportToProto(rep)}), nil
}

// checkReason refuses a blank reason: a moderator needs one to act.
func checkReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return rpc.InvalidField("reason", "say what happened")
	}
	return nil
}

// fileReport writes the report and its audit row.
func (s *moderationServer) fileReport(ctx context.Context, tx bun.Tx, rep *db.Report, org *uuid.UUID) error {
	if err := db.InsertReport(ctx, tx, rep); errors.Is(err, db.ErrReportExists) {
		return connect.NewError(connect.CodeAlreadyExists, err)
	} else if err != nil {
		return err
	}
	return rpc.Audit(ctx, tx, &rep.ReporterID, org, "report", rep.ID.String(), "create",
		map[string]any{"target": rep.TargetType, "reported_user_id": rep.ReportedUserID.String()})
}

// ListReports pages through reports: staff all of them; the moderators of
// a group or an event those made there.
func (s *moderationServer) ListReports(ctx context.Context, req *connect.Request[socialv1.ListReportsRequest]) (*connect.Response[socialv1.ListReportsResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListReports", m.GetPageToken(), m.GetPageSize(), moderationPageSize)
	if err != nil {
		return nil, err
	}
	f := db.ReportFilter{Status: reportStatuses.Name(m.GetStatus()), EventID: rpc.OptionalID(m.GetEventId()), GroupID: rpc.OptionalID(m.GetGroupId())}
	if err := s.authorizeReportList(ctx, f); err != nil {
		return nil, err
	}
	rows, err := db.ReportsPage(ctx, s.DB, f, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.Report) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID })
	out := &socialv1.ListReportsResponse{NextPageToken: next}
	for i := range rows {
		out.Reports = append(out.Reports, reportToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// authorizeReportList admits staff to any list, the group's moderators to
// a group's reports and the event's hosts to an event's.
func (s *moderationServer) authorizeReportList(ctx context.Context, f db.ReportFilter) error {
	switch {
	case f.GroupID != nil:
		ga, err := loadGroupAccess(ctx, s.DB, *f.GroupID)
		if err != nil {
			return err
		}
		if !ga.CanModerate() {
			return errNotReportModerator("this group")
		}
	case f.EventID != nil:
		ea, err := loadEventAccess(ctx, s.DB, *f.EventID)
		if err != nil {
			return err
		}
		if !ea.Host && !ea.Staff {
			return errNotReportModerator("this event")
		}
	default:
		staff, err := isStaff(ctx, s.DB, rpc.CallerID(ctx))
		if err != nil {
			return err
		}
		if !staff {
			return rpc.DeniedField("event_id", "name the event or group you moderate; only staff list every report")
		}
	}
	return nil
}

// ResolveReport closes an open report; the moderators of its place and
// staff.
func (s *moderationServer) ResolveReport(ctx context.Context, req *connect.Request[socialv1.ResolveReportRequest]) (*connect.Response[socialv1.ResolveReportResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	reportID := uuid.MustParse(m.GetReportId())
	var rep *db.Report
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if rep, err = db.ReportByID(ctx, tx, reportID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("report not found"))
		} else if err != nil {
			return err
		}
		org, err := authorizeReport(ctx, tx, rep)
		if err != nil {
			return err
		}
		if err := db.ResolveReport(ctx, tx, rep, reportStatuses.Name(m.GetStatus()), m.GetNote(), callerID, s.Now()); errors.Is(err, db.ErrReportClosed) {
			return connect.NewError(connect.CodeFailedPrecondition, err)
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, org, "report", rep.ID.String(), "resolve", map[string]any{"status": rep.Status})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.ResolveReportResponse{Report: reportToProto(rep)}), nil
}

// authorizeReport admits the moderators of the report's group (or, with
// no group, of its event) and staff, and returns the place's organization.
// A report of a place the caller may not see is NotFound.
func authorizeReport(ctx context.Context, idb bun.IDB, rep *db.Report) (*uuid.UUID, error) {
	notFound := connect.NewError(connect.CodeNotFound, errors.New("report not found"))
	switch {
	case rep.GroupID != nil:
		ga, err := loadGroupAccess(ctx, idb, *rep.GroupID)
		if connect.CodeOf(err) == connect.CodeNotFound {
			return nil, notFound
		} else if err != nil {
			return nil, err
		}
		if !ga.CanModerate() {
			return nil, errNotReportModerator("this group")
		}
		return ga.Event.OrganizationID, nil
	case rep.EventID != nil:
		ea, err := loadEventAccess(ctx, idb, *rep.EventID)
		if connect.CodeOf(err) == connect.CodeNotFound {
			return nil, notFound
		} else if err != nil {
			return nil, err
		}
		if !ea.Host && !ea.Staff {
			return nil, errNotReportModerator("this event")
		}
		return ea.Event.OrganizationID, nil
	}
	staff, err := isStaff(ctx, idb, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	if !staff {
		return nil, notFound
	}
	return nil, nil
}

func reportToProto(r *db.Report) *socialv1.Report {
	out := &socialv1.Report{Id: r.ID.String(), ReporterId: r.ReporterID.String(), Target: reportTargets.Value(r.TargetType),
		MessageId: rpc.IDString(r.MessageID), ReportedUserId: r.ReportedUserID.String(), EventId: rpc.IDString(r.EventID),
		GroupId: rpc.IDString(r.GroupID), Reason: r.Reason, Status: reportStatuses.Value(r.Status),
		ResolvedBy: rpc.IDString(r.ResolvedBy), ResolutionNote: r.ResolutionNote, CreatedAt: timestamppb.New(r.CreatedAt)}
	if r.ResolvedAt != nil {
		out.ResolvedAt = timestamppb.New(*r.ResolvedAt)
	}
	return out
}
