package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs/workflowstart"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/workflows"
)

// The tests here check DESIGN.md's "Committed intent, then the workflow":
// the River job committed with a handler's rows starts its workflow when
// the direct start after commit is lost, and the two starts together make
// one run.

// cancelEventWithOpenOrder cancels an event whose one order awaits payment,
// returning the buyer and the order.
func cancelEventWithOpenOrder(t *testing.T, a *testenv.API) (testenv.Session, string, string) {
	t.Helper()
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, priceMinor: 25000})
	joined, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	r := awaitCheckout(t, a, buyer, joined.Msg.GetRequest().GetId())
	resp, err := a.Events.CancelEvent(ctx, testenv.As(host, &eventsv1.CancelEventRequest{EventId: ev.ID.String(), Reason: "Storm"}))
	require.NoError(t, err, "the cancellation is committed; its start is the River job's to make")
	assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_CANCELLED, resp.Msg.GetEvent().GetStatus())
	return buyer, ev.ID.String(), r.GetId()
}

// awaitCancellation waits until the order is cancelled, which only the
// cancellation workflow does, then returns that workflow's result.
func awaitCancellation(t *testing.T, a *testenv.API, buyer testenv.Session, eventID, requestID string) workflows.EventCancellationResult {
	t.Helper()
	awaitStatus(t, a, buyer, requestID, eventsv1.RequestStatus_REQUEST_STATUS_CANCELLED)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res workflows.EventCancellationResult
	require.NoError(t, a.Temporal.GetWorkflow(ctx, workflows.EventCancellationWorkflowID(eventID), "").Get(ctx, &res))
	return res
}

// createMembersJob creates a job for the members of a new organization
// with two members, returning its creator and ID.
func createMembersJob(t *testing.T, a *testenv.API) (testenv.Session, string) {
	t.Helper()
	owner := a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "intent-org")
	for range 2 {
		addAndAccept(t, a, owner, org.GetId(), a.NewUser(t, newPhone()), identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	}
	created, err := a.Notifications.CreateNotificationJob(context.Background(), testenv.As(owner, jobRequest(org.GetId(), membersOf(org.GetId(), "member"))))
	require.NoError(t, err, "the job is committed; its start is the River job's to make")
	assert.Equal(t, notificationsv1.JobStatus_JOB_STATUS_SCHEDULED, created.Msg.GetJob().GetStatus())
	return owner, created.Msg.GetJob().GetId()
}

// awaitJobCompleted waits until the job's workflow has delivered it.
func awaitJobCompleted(t *testing.T, a *testenv.API, owner testenv.Session, jobID string) *notificationsv1.NotificationJob {
	t.Helper()
	var last *notificationsv1.NotificationJob
	testenv.Eventually(t, 30*time.Second, func() bool {
		resp, err := a.Notifications.GetNotificationJob(context.Background(), testenv.As(owner, &notificationsv1.GetNotificationJobRequest{JobId: jobID}))
		require.NoError(t, err)
		last = resp.Msg.GetJob()
		return last.GetStatus() == notificationsv1.JobStatus_JOB_STATUS_COMPLETED
	}, "job %s never completed", jobID)
	return last
}

// awaitStartJobsCompleted waits until every River job of kind has run
// (want of them).
func awaitStartJobsCompleted(t *testing.T, a *testenv.API, kind string, want int64) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() bool {
		return countRows(t, a, (*riverJob)(nil), "kind = ? AND state = 'completed'", kind) == want
	}, "the %s job never completed", kind)
}

// riverJob is River's job table, for counting rows.
type riverJob struct {
	bun.BaseModel `bun:"table:river_job"`
}

// runsOf counts the runs Temporal has of a workflow ID.
func runsOf(t *testing.T, a *testenv.API, workflowID string) int {
	t.Helper()
	resp, err := a.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflowID)})
	require.NoError(t, err)
	return len(resp.GetExecutions())
}

func TestCancelEvent_RiverJobStartsTheWorkflowWhenTheDirectStartIsLost(t *testing.T) {
	a := setup(t, testenv.WithStartFault())
	buyer, eventID, requestID := cancelEventWithOpenOrder(t, a)

	res := awaitCancellation(t, a, buyer, eventID, requestID)
	assert.Equal(t, workflows.EventCancellationResult{Notified: 1}, res, "the open order was told")
}

func TestCreateNotificationJob_RiverJobStartsTheWorkflowWhenTheDirectStartIsLost(t *testing.T) {
	a := setup(t, testenv.WithStartFault())
	owner, jobID := createMembersJob(t, a)

	job := awaitJobCompleted(t, a, owner, jobID)
	assert.EqualValues(t, 2, job.GetProgress().GetSent())
}

func TestRespondToInvite_RiverJobStartsTheOrderWhenTheDirectStartIsLost(t *testing.T) {
	a := setup(t, testenv.WithOrderStartFault())
	ctx := context.Background()
	host, guest := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, approval: true})
	inv, err := a.Ticketing.InviteUser(ctx, testenv.As(host, &eventsv1.InviteUserRequest{EventId: ev.ID.String(),
		Invitee: &eventsv1.InviteUserRequest_UserId{UserId: guest.UserID}}))
	require.NoError(t, err)

	resp, err := a.Ticketing.RespondToInvite(ctx, testenv.As(guest, &eventsv1.RespondToInviteRequest{Token: inv.Msg.GetInvite().GetToken(), Accept: true, Seats: 1}))
	require.NoError(t, err, "the admission is committed before the start")
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, resp.Msg.GetRequest().GetStatus(), "the guest has a ticket, without host approval")

	requestID := resp.Msg.GetRequest().GetId()
	awaitStartJobsCompleted(t, a, workflowstart.TicketOrderArgs{}.Kind(), 1)
	assert.Equal(t, 1, runsOf(t, a, workflows.TicketOrderWorkflowID(requestID)), "the River job started the order")
	mine, err := a.Ticketing.ListMyTickets(ctx, testenv.As(guest, &eventsv1.ListMyTicketsRequest{}))
	require.NoError(t, err)
	assert.Len(t, mine.Msg.GetTickets(), 1, "one ticket")
}

// TestRequestToJoin_RiverJobStartsThePaidOrderWhenTheDirectStartIsLost:
// the process "dies" between the admission's commit and the workflow's
// start. The buyer holds a seat at once; the River job committed with it
// starts the order, which creates the checkout; the buyer pays and gets
// the one ticket.
func TestRequestToJoin_RiverJobStartsThePaidOrderWhenTheDirectStartIsLost(t *testing.T) {
	a := setup(t, testenv.WithOrderStartFault())
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, priceMinor: 25000})

	joined, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err, "the admission is committed before the start")
	r := joined.Msg.GetRequest()
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT, r.GetStatus(), "the seat is held at once")
	assert.Empty(t, r.GetCheckoutUrl(), "no workflow yet to make the checkout")

	requestID := r.GetId()
	testenv.Eventually(t, 45*time.Second, func() bool {
		r = requestStatus(t, a, buyer, requestID)
		return r.GetCheckoutUrl() != ""
	}, "the River job never started the order (no checkout)")
	payOnCheckoutPage(t, a, r.GetCheckoutUrl())
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	assert.Equal(t, 1, runsOf(t, a, workflows.TicketOrderWorkflowID(r.GetId())), "one run, started by the River job")
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID), "one ticket")
}

// TestWorkflowStarts_DirectStartDropsItsRiverJobAndALateJobMakesNoSecondRun:
// the direct start after commit runs the workflow and deletes the River
// job committed as its safety net, so River does not start it again; a
// job River had already taken by then still runs, finds the run and makes
// no second one.
func TestWorkflowStarts_DirectStartDropsItsRiverJobAndALateJobMakesNoSecondRun(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	buyer, eventID, requestID := cancelEventWithOpenOrder(t, a)
	owner, jobID := createMembersJob(t, a)
	for _, kind := range []string{workflowstart.EventCancellationArgs{}.Kind(), workflowstart.NotificationJobArgs{}.Kind()} {
		assert.Zero(t, countRows(t, a, (*riverJob)(nil), "kind = ?", kind), "the direct start deleted its %s job", kind)
	}

	lateCancellation := workflowstart.EventCancellationArgs{Start: workflows.EventCancellationStart{
		Input: workflows.EventCancellationInput{EventID: eventID, Reason: "Storm"}}}
	require.NoError(t, (&workflowstart.Worker[workflowstart.EventCancellationArgs]{Temporal: a.Temporal, TaskQueue: a.TaskQueue}).
		Work(ctx, &river.Job[workflowstart.EventCancellationArgs]{Args: lateCancellation}))
	lateJob := workflowstart.NotificationJobArgs{Start: workflows.NotificationJobStart{Input: workflows.NotificationJobInput{JobID: jobID}}}
	require.NoError(t, (&workflowstart.Worker[workflowstart.NotificationJobArgs]{Temporal: a.Temporal, TaskQueue: a.TaskQueue}).
		Work(ctx, &river.Job[workflowstart.NotificationJobArgs]{Args: lateJob}))

	assert.Equal(t, workflows.EventCancellationResult{Notified: 1}, awaitCancellation(t, a, buyer, eventID, requestID))
	assert.EqualValues(t, 2, awaitJobCompleted(t, a, owner, jobID).GetProgress().GetSent())
	assert.Equal(t, 1, runsOf(t, a, workflows.EventCancellationWorkflowID(eventID)), "one cancellation run")
	assert.Equal(t, 1, runsOf(t, a, workflows.NotificationJobWorkflowID(jobID)), "one job run")
}

// TestRequestToJoin_DirectStartRunsTheOrderAndDropsItsSafetyNet: the
// buyer is answered from the admission's commit; the order's workflow then
// starts in the background, and its River job, no longer needed, is gone.
func TestRequestToJoin_DirectStartRunsTheOrderAndDropsItsSafetyNet(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})

	joined, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, joined.Msg.GetRequest().GetStatus(), "the ticket is issued in the admission")

	workflowID := workflows.TicketOrderWorkflowID(joined.Msg.GetRequest().GetId())
	testenv.Eventually(t, 10*time.Second, func() bool { return runsOf(t, a, workflowID) == 1 }, "the order never started")
	testenv.Eventually(t, 10*time.Second, func() bool {
		return countRows(t, a, (*riverJob)(nil), "kind = ?", workflowstart.TicketOrderArgs{}.Kind()) == 0
	}, "the started order's River job was not deleted")
}
