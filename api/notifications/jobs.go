package notifications

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/jobs/workflowstart"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/workflows"
)

// jobScope is whom a notification job speaks for: its organization (nil
// for a platform-wide job) and whether the caller is platform staff, who
// may target any audience. Everyone else stays inside their organization.
type jobScope struct {
	orgID *uuid.UUID
	staff bool
}

// jobAccess is the one authorization check of notification jobs: a job of
// an organization is for its owners and admins, a platform-wide job for
// platform staff; staff pass everywhere.
func (s *notificationServer) jobAccess(ctx context.Context, idb bun.IDB, orgID *uuid.UUID) (jobScope, error) {
	u, err := db.UserByID(ctx, idb, rpc.CallerID(ctx))
	if err != nil {
		return jobScope{}, err
	}
	scope := jobScope{orgID: orgID, staff: u.IsStaff}
	if orgID == nil {
		if !scope.staff {
			return jobScope{}, connect.NewError(connect.CodePermissionDenied, errors.New(
				"only platform staff can send notifications without an organization; set organization_id to one you own or administer"))
		}
		return scope, nil
	}
	_, err = rpc.OrgAccess(ctx, idb, *orgID, rpc.ManagerRoles)
	return scope, err
}

// Statuses of notification_jobs.status that the workflow contract has no
// constant for, because only the API deals in them.
const (
	// jobDraft is a job stored but never started; it has no workflow.
	jobDraft = "draft"
	// jobFailed is a job that stopped on an error.
	jobFailed = "failed"
)

// maxScheduleAhead bounds how far ahead a job may be scheduled, so a
// mistyped year does not park a workflow for millennia.
const maxScheduleAhead = 366 * 24 * time.Hour

// CreateNotificationJob stores a job and starts its workflow, which waits
// for scheduled_at (unset or past: now), resolves the audience and delivers.
// The River job that starts the workflow is committed with the row, so the
// job runs even if the direct start after commit never happens.
func (s *notificationServer) CreateNotificationJob(ctx context.Context, req *connect.Request[notificationsv1.CreateNotificationJobRequest]) (*connect.Response[notificationsv1.CreateNotificationJobResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	if err := checkRenderedFits(msg.GetTitle(), msg.GetBody(), msg.GetVariables()); err != nil {
		return nil, err
	}
	job := &db.NotificationJob{ID: db.NewID(), OrganizationID: rpc.OptionalID(msg.GetOrganizationId()), CreatedBy: userID,
		Channels: channels.Names(msg.GetChannels()), Category: msg.GetCategory(), TitleTemplate: msg.GetTitle(),
		BodyTemplate: msg.GetBody(), Variables: msg.GetVariables(), ScheduledAt: s.Now(), Status: workflows.JobScheduled}
	if job.Variables == nil {
		job.Variables = map[string]string{}
	}
	if at := msg.GetScheduledAt(); at != nil && at.AsTime().After(job.ScheduledAt) {
		job.ScheduledAt = at.AsTime()
	}
	if job.ScheduledAt.After(s.Now().Add(maxScheduleAhead)) {
		return nil, rpc.InvalidField("scheduled_at", "must be at most a year ahead")
	}
	var startJobID int64
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		scope, err := s.jobAccess(ctx, tx, job.OrganizationID)
		if connect.CodeOf(err) == connect.CodeNotFound {
			return rpc.InvalidField("organization_id", "no such organization")
		}
		if err != nil {
			return err
		}
		if err := checkCategory(ctx, tx, job.OrganizationID, job.Category); err != nil {
			return err
		}
		if job.Criteria, err = criteriaFromProto(ctx, tx, msg.GetCriteria(), scope); err != nil {
			return err
		}
		if err := s.reserveQuota(ctx, tx, job); err != nil {
			return err
		}
		if err := db.InsertNotificationJob(ctx, tx, job); err != nil {
			return err
		}
		if startJobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.NotificationJobArgs{Start: jobStart(job)}, s.Now()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, job.OrganizationID, "notification_job", job.ID.String(), "create", map[string]any{
			"category": job.Category, "title": job.TitleTemplate, "channels": job.Channels,
			"include": len(job.Criteria.Include), "exclude": len(job.Criteria.Exclude), "scheduled_at": job.ScheduledAt})
	})
	if err != nil {
		return nil, err
	}
	if err := s.starts.Start(ctx, workflowstart.NotificationJobArgs{Start: jobStart(job)}, startJobID); err != nil {
		// The River job committed with the row starts it.
		s.Log.WarnContext(ctx, "direct start of notification job failed; its River job will start it", "job_id", job.ID, "error", err)
	}
	return connect.NewResponse(&notificationsv1.CreateNotificationJobResponse{Job: jobToProto(job, db.JobProgress{})}), nil
}

// jobStart is the job workflow's start for job.
func jobStart(job *db.NotificationJob) workflows.NotificationJobStart {
	id := job.ID.String()
	return workflows.NotificationJobStart{Input: workflows.NotificationJobInput{JobID: id},
		OrgID: rpc.IDString(job.OrganizationID), CreatedBy: job.CreatedBy.String(), Summary: jobSummary(job),
		Details: fmt.Sprintf("job %s · organization %s · created by %s", id, rpc.IDString(job.OrganizationID), job.CreatedBy)}
}

// jobSummary is the one-line summary shown in the Temporal UI, e.g.
// `Notify 2 audiences via in_app,push: "Doors open at 7"`.
func jobSummary(job *db.NotificationJob) string {
	title := []rune(job.TitleTemplate)
	if len(title) > 80 {
		title = append(title[:79], '…')
	}
	audiences := "1 audience"
	if n := len(job.Criteria.Include); n != 1 {
		audiences = fmt.Sprintf("%d audiences", n)
	}
	return fmt.Sprintf("Notify %s via %s: %q", audiences, strings.Join(job.Channels, ","), string(title))
}

// GetNotificationJob returns a job and its progress to those who may
// create it.
func (s *notificationServer) GetNotificationJob(ctx context.Context, req *connect.Request[notificationsv1.GetNotificationJobRequest]) (*connect.Response[notificationsv1.GetNotificationJobResponse], error) {
	job, err := s.accessibleJob(ctx, uuid.MustParse(req.Msg.GetJobId()))
	if err != nil {
		return nil, err
	}
	progress, err := db.NotificationJobProgress(ctx, s.DB, job.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.GetNotificationJobResponse{Job: jobToProto(job, progress)}), nil
}

// accessibleJob loads a job the caller may see and change.
func (s *notificationServer) accessibleJob(ctx context.Context, id uuid.UUID) (*db.NotificationJob, error) {
	job, err := db.NotificationJobByID(ctx, s.DB, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("notification job not found"))
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.jobAccess(ctx, s.DB, job.OrganizationID); err != nil {
		return nil, err
	}
	return job, nil
}

// ListNotificationJobs pages through jobs, newest first: those of the
// given organization, or without one, those of every organization the
// caller owns or administers plus, for staff, the platform-wide ones.
func (s *notificationServer) ListNotificationJobs(ctx context.Context, req *connect.Request[notificationsv1.ListNotificationJobsRequest]) (*connect.Response[notificationsv1.ListNotificationJobsResponse], error) {
	msg := req.Msg
	page, err := rpc.TimePage("ListNotificationJobs", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	var jobs []db.NotificationJob
	if orgID := rpc.OptionalID(msg.GetOrganizationId()); orgID != nil {
		if _, err := s.jobAccess(ctx, s.DB, orgID); err != nil {
			return nil, err
		}
		jobs, err = db.ListNotificationJobs(ctx, s.DB, orgID, page.LastKey, page.LastID, page.Limit())
	} else {
		var u *db.User
		if u, err = db.UserByID(ctx, s.DB, rpc.CallerID(ctx)); err == nil {
			jobs, err = db.VisibleNotificationJobs(ctx, s.DB, u.ID, u.IsStaff, page.LastKey, page.LastID, page.Limit())
		}
	}
	if err != nil {
		return nil, err
	}
	resp := &notificationsv1.ListNotificationJobsResponse{}
	jobs, resp.NextPageToken = rpc.NextPage(page, jobs, func(j *db.NotificationJob) (time.Time, uuid.UUID) { return j.CreatedAt, j.ID })
	ids := make([]uuid.UUID, len(jobs))
	for i := range jobs {
		ids[i] = jobs[i].ID
	}
	progress, err := db.NotificationJobsProgress(ctx, s.DB, ids)
	if err != nil {
		return nil, err
	}
	for i := range jobs {
		resp.Jobs = append(resp.Jobs, jobToProto(&jobs[i], progress[jobs[i].ID]))
	}
	return connect.NewResponse(resp), nil
}

// CancelNotificationJob asks the job's workflow to stop (a Temporal update
// that returns once the job is cancelled and its pending items with it)
// and returns the job as stored afterwards.
func (s *notificationServer) CancelNotificationJob(ctx context.Context, req *connect.Request[notificationsv1.CancelNotificationJobRequest]) (*connect.Response[notificationsv1.CancelNotificationJobResponse], error) {
	userID := rpc.CallerID(ctx)
	job, err := s.accessibleJob(ctx, uuid.MustParse(req.Msg.GetJobId()))
	if err != nil {
		return nil, err
	}
	if jobFinished(job.Status) {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the job is already %s", job.Status))
	}
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.NotificationJobWorkflowID(job.ID.String()), UpdateName: workflows.UpdateCancelJob,
		Args: []any{workflows.CancelJobInput{ActorUserID: userID.String()}}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err := jobUpdateError(err); err != nil {
		return nil, err
	}
	if err := rpc.Audit(ctx, s.DB, &userID, job.OrganizationID, "notification_job", job.ID.String(), "cancel", nil); err != nil {
		return nil, err
	}
	if job, err = db.NotificationJobByID(ctx, s.DB, job.ID); err != nil {
		return nil, err
	}
	progress, err := db.NotificationJobProgress(ctx, s.DB, job.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.CancelNotificationJobResponse{Job: jobToProto(job, progress)}), nil
}

// jobFinished reports whether a job's status is final.
func jobFinished(status string) bool {
	return status == workflows.JobCompleted || status == workflows.JobCancelled || status == jobFailed
}

// jobUpdateError turns a job workflow's refusal into the Connect code it
// means (rpc.UpdateError): a workflow that has closed is a job that has
// finished.
func jobUpdateError(err error) error {
	return rpc.UpdateError(err, "the job has already finished", "notification job")
}
