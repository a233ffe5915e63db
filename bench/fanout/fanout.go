package main

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/proto/convene/notifications/v1/notificationsv1connect"
)

// ownerPhone is the owner's number, outside the members' +13000000001… range.
const ownerPhone = "+14155550100"

// pollInterval is how often the benchmark asks the API for the job's status.
const pollInterval = 250 * time.Millisecond

// fanoutResult is the measured fan-out and what the database says after it.
type fanoutResult struct {
	// total is CreateNotificationJob sent → GetNotificationJob COMPLETED.
	total time.Duration
	// lastSent is CreateNotificationJob sent → the last item's sent_at.
	lastSent time.Duration
	// items, sent come from the job's progress; inbox counts the rows in
	// notifications; duplicates counts inbox rows beyond the first of a
	// recipient.
	items, sent, inbox, duplicates int64
	// failures are human-readable mismatches; empty when the run was correct.
	failures []string
}

// seed writes the organization, its owner and n members in three
// statements (the members in one, as the fan-out test does), and returns
// the organization and the owner.
func seed(ctx context.Context, d *db.DB, n int) (orgID, ownerID uuid.UUID, err error) {
	orgID = db.NewID()
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		owner, _, err := db.CreateUserWithPhone(ctx, tx, ownerPhone)
		if err != nil {
			return fmt.Errorf("create owner: %w", err)
		}
		ownerID = owner.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, slug) VALUES (?, 'Fan-out bench', ?)`,
			orgID, "fanout-"+orgID.String()[24:]); err != nil {
			return fmt.Errorf("create organization: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, 'owner')`,
			db.NewID(), orgID, ownerID); err != nil {
			return fmt.Errorf("add owner: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			WITH new_users AS (
				INSERT INTO users (id, phone)
				SELECT gen_random_uuid(), '+1' || (3000000000 + g)::text FROM generate_series(1, ?) AS g
				RETURNING id)
			INSERT INTO organization_members (id, organization_id, user_id, role)
			SELECT gen_random_uuid(), ?, id, 'member' FROM new_users`, n, orgID); err != nil {
			return fmt.Errorf("create %d members: %w", n, err)
		}
		return nil
	})
	if err == nil {
		// Fresh statistics, as autovacuum would give a long-lived database,
		// so the audience query is planned for the real table sizes.
		_, err = d.ExecContext(ctx, `ANALYZE users, organization_members`)
	}
	return orgID, ownerID, err
}

// fanOut seeds the organization, creates the job through the API, waits for
// it to complete and checks the outcome.
func fanOut(ctx context.Context, s *stack.Stack, o options) (fanoutResult, error) {
	var r fanoutResult
	progress("creating an organization with an owner and %d members", o.recipients)
	orgID, ownerID, err := seed(ctx, s.DB(), o.recipients)
	if err != nil {
		return r, err
	}
	c := notificationsv1connect.NewNotificationServiceClient(s.HTTPClient(2), s.APIURL())
	progress("fan-out: in-app notification to %d members, %d per page", o.recipients, o.pageSize)
	start := time.Now()
	req, err := asOwner(s, ownerID, &notificationsv1.CreateNotificationJobRequest{
		OrganizationId: orgID.String(), Category: "announcements", Channels: []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP},
		Title: "Hello {{name}}", Body: "Doors open at {{time}}", Variables: map[string]string{"time": "7pm"},
		Criteria: &notificationsv1.Criteria{Include: []*notificationsv1.Audience{{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS, OrganizationId: orgID.String(), Roles: []string{"member"}}}},
	})
	if err != nil {
		return r, err
	}
	resp, err := c.CreateNotificationJob(ctx, req)
	if err != nil {
		return r, fmt.Errorf("CreateNotificationJob: %w", err)
	}
	jobID := resp.Msg.GetJob().GetId()
	job, err := awaitCompleted(ctx, s, c, ownerID, jobID, start.Add(o.timeout))
	if err != nil {
		return r, err
	}
	r.total = time.Since(start)
	p := job.GetProgress()
	r.items, r.sent = p.GetResolved(), p.GetSent()
	return r, check(ctx, s.DB(), jobID, start, o, &r)
}

// awaitCompleted polls GetNotificationJob every pollInterval until the job
// is COMPLETED; another final status or the deadline is an error.
func awaitCompleted(ctx context.Context, s *stack.Stack, c notificationsv1connect.NotificationServiceClient,
	ownerID uuid.UUID, jobID string, deadline time.Time) (*notificationsv1.NotificationJob, error) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	lastReport := time.Now()
	for {
		// A fresh token per call: access tokens expire after 15 minutes.
		req, err := asOwner(s, ownerID, &notificationsv1.GetNotificationJobRequest{JobId: jobID})
		if err != nil {
			return nil, err
		}
		resp, err := c.GetNotificationJob(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("GetNotificationJob: %w", err)
		}
		job := resp.Msg.GetJob()
		switch job.GetStatus() {
		case notificationsv1.JobStatus_JOB_STATUS_COMPLETED:
			return job, nil
		case notificationsv1.JobStatus_JOB_STATUS_CANCELLED, notificationsv1.JobStatus_JOB_STATUS_FAILED:
			return nil, fmt.Errorf("job %s ended %s", jobID, job.GetStatus())
		}
		if time.Since(lastReport) >= 5*time.Second {
			p := job.GetProgress()
			progress("  %s: %d resolved, %d sent, %d pending", job.GetStatus(), p.GetResolved(), p.GetSent(), p.GetPending())
			lastReport = time.Now()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("job %s not completed within -timeout (status %s)", jobID, job.GetStatus())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

func asOwner[T any](s *stack.Stack, ownerID uuid.UUID, msg *T) (*connect.Request[T], error) {
	tok, err := s.Token(ownerID)
	if err != nil {
		return nil, err
	}
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+tok)
	return req, nil
}

// check counts the job's inbox rows and last send, and lists mismatches
// with a complete fan-out: N items, N sent, N inbox rows, no recipient
// twice.
func check(ctx context.Context, d *db.DB, jobID string, start time.Time, o options, r *fanoutResult) error {
	if err := d.NewRaw(`SELECT count(*) FROM notifications WHERE reference_id = ? AND type = 'announcements'`, jobID).Scan(ctx, &r.inbox); err != nil {
		return fmt.Errorf("count inbox rows: %w", err)
	}
	if err := d.NewRaw(`SELECT count(*) - count(DISTINCT recipient_user_id) FROM notifications
		WHERE reference_id = ? AND type = 'announcements'`, jobID).Scan(ctx, &r.duplicates); err != nil {
		return fmt.Errorf("count duplicate inbox rows: %w", err)
	}
	if r.duplicates != 0 {
		r.failures = append(r.failures, fmt.Sprintf("duplicates: %d recipients got more than one inbox row", r.duplicates))
	}
	var last *time.Time
	if err := d.NewRaw(`SELECT max(sent_at) FROM notification_job_items WHERE job_id = ?`, uuid.MustParse(jobID)).Scan(ctx, &last); err != nil {
		return fmt.Errorf("read last send: %w", err)
	}
	if last != nil {
		r.lastSent = last.Sub(start)
	}
	n := int64(o.recipients)
	for _, c := range []struct {
		what string
		got  int64
	}{{"items", r.items}, {"sent", r.sent}, {"inbox rows", r.inbox}} {
		if c.got != n {
			r.failures = append(r.failures, fmt.Sprintf("%s: got %d, want %d", c.what, c.got, n))
		}
	}
	return nil
}
