package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/proto/convene/notifications/v1/notificationsv1connect"
	"github.com/convene/convene/workflows"
)

const (
	// ownerPhone is the owner's number, outside the members' range.
	ownerPhone = "+14155550100"
	// scheduleAhead puts every job's send time beyond the run, so its
	// workflow only waits on a timer.
	scheduleAhead = 24 * time.Hour
	// visibilityWait bounds the wait for Temporal to list every workflow.
	visibilityWait = 30 * time.Second
)

// results are the measured calls and what the stores say after them.
type results struct {
	// latencies of the successful calls, sorted.
	latencies []time.Duration
	wall      time.Duration
	errors    int
	firstErr  error
	// jobs is the notification_jobs rows; workflows the NotificationJob
	// workflows Temporal lists.
	jobs, workflows int64
	// ceiling is the sorted latencies of bare StartWorkflow calls in the
	// same run (startCeiling).
	ceiling []time.Duration
	// failures are human-readable mismatches; empty when the run was correct.
	failures []string
}

// measure seeds the organization, sends the calls and checks that every
// call stored a job and started its workflow.
func measure(ctx context.Context, s *stack.Stack, o options) (results, error) {
	progress("creating an organization with an owner and %d members", o.members)
	orgID, ownerID, err := seed(ctx, s.DB(), o.members)
	if err != nil {
		return results{}, err
	}
	c := notificationsv1connect.NewNotificationServiceClient(s.HTTPClient(o.concurrency), s.APIURL())
	progress("%d CreateNotificationJob calls, %d at a time", o.calls, o.concurrency)
	r := createJobs(ctx, s, c, orgID, ownerID, o)
	n, err := s.DB().NewSelect().Model((*db.NotificationJob)(nil)).Where("organization_id = ?", orgID).Count(ctx)
	if err != nil {
		return r, fmt.Errorf("count notification jobs: %w", err)
	}
	r.jobs = int64(n)
	if r.workflows, err = countWorkflows(ctx, s, int64(o.calls)); err != nil {
		return r, err
	}
	progress("ceiling: %d bare StartWorkflow calls, %d at a time", o.calls, o.concurrency)
	if r.ceiling, err = startCeiling(ctx, s.Temporal(), o.calls, o.concurrency); err != nil {
		return r, err
	}
	r.failures = mismatches(r, o)
	return r, nil
}

// seed writes the organization, its owner and n members.
func seed(ctx context.Context, d *db.DB, n int) (orgID, ownerID uuid.UUID, err error) {
	orgID = db.NewID()
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		owner, _, err := db.CreateUserWithPhone(ctx, tx, ownerPhone)
		if err != nil {
			return fmt.Errorf("create owner: %w", err)
		}
		ownerID = owner.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, slug) VALUES (?, 'Start latency bench', ?)`,
			orgID, "startlatency-"+orgID.String()[24:]); err != nil {
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
	return orgID, ownerID, err
}

// createJobs sends o.calls CreateNotificationJob requests, o.concurrency at
// a time, and times each.
func createJobs(ctx context.Context, s *stack.Stack, c notificationsv1connect.NotificationServiceClient,
	orgID, ownerID uuid.UUID, o options) results {
	latencies := make([]time.Duration, o.calls)
	errs := make([]error, o.calls)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range min(o.concurrency, o.calls) {
		wg.Go(func() {
			for i := range next {
				latencies[i], errs[i] = createJob(ctx, s, c, orgID, ownerID)
			}
		})
	}
	for i := range o.calls {
		next <- i
	}
	close(next)
	wg.Wait()
	r := results{wall: time.Since(start)}
	for i, err := range errs {
		if err != nil {
			r.errors++
			if r.firstErr == nil {
				r.firstErr = err
			}
			continue
		}
		r.latencies = append(r.latencies, latencies[i])
	}
	slices.Sort(r.latencies)
	return r
}

// createJob creates one in-app job for the organization's members,
// scheduled a day ahead, as the owner, and returns the call's latency.
func createJob(ctx context.Context, s *stack.Stack, c notificationsv1connect.NotificationServiceClient,
	orgID, ownerID uuid.UUID) (time.Duration, error) {
	tok, err := s.Token(ownerID)
	if err != nil {
		return 0, err
	}
	req := connect.NewRequest(&notificationsv1.CreateNotificationJobRequest{
		OrganizationId: orgID.String(), Category: "announcements",
		Channels: []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP},
		Title:    "Doors open soon", Body: "See you at 7pm",
		Criteria: &notificationsv1.Criteria{Include: []*notificationsv1.Audience{{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS, OrganizationId: orgID.String(), Roles: []string{"member"}}}},
		ScheduledAt: timestamppb.New(time.Now().Add(scheduleAhead)),
	})
	req.Header().Set("Authorization", "Bearer "+tok)
	start := time.Now()
	if _, err := c.CreateNotificationJob(ctx, req); err != nil {
		return 0, fmt.Errorf("CreateNotificationJob: %w", err)
	}
	return time.Since(start), nil
}

// countWorkflows polls Temporal's count of notification-job workflows until
// it reaches want or visibilityWait passes.
func countWorkflows(ctx context.Context, s *stack.Stack, want int64) (int64, error) {
	deadline := time.Now().Add(visibilityWait)
	query := fmt.Sprintf("WorkflowType = '%s'", workflows.NotificationJobWorkflowName)
	for {
		resp, err := s.Temporal().CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return 0, fmt.Errorf("count notification-job workflows: %w", err)
		}
		if resp.GetCount() >= want || time.Now().After(deadline) {
			return resp.GetCount(), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// mismatches lists what differs from a correct run: every call answered,
// one stored job and one workflow per call.
func mismatches(r results, o options) []string {
	checks := []struct {
		what      string
		got, want int64
	}{
		{"failed calls", int64(r.errors), 0},
		{"notification_jobs rows", r.jobs, int64(o.calls)},
		{"NotificationJob workflows (Temporal visibility)", r.workflows, int64(o.calls)},
	}
	var out []string
	for _, ch := range checks {
		if ch.got != ch.want {
			out = append(out, fmt.Sprintf("%s: got %d, want %d", ch.what, ch.got, ch.want))
		}
	}
	if r.firstErr != nil {
		out = append(out, fmt.Sprintf("first failed call: %v", r.firstErr))
	}
	return out
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 1) of the sorted
// latencies, or 0 when there are none.
func (r results) percentile(p float64) time.Duration { return stack.Percentile(r.latencies, p) }
