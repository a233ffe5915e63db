package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/workflows"
)

// The people, groups and schedule of every safety-alert test: the sender
// raises an alert in two groups of two events; the hosts are told after
// 5 minutes, staff after 15 and every 15 after that.
const (
	alertSender   = "sender-1"
	alertBatch    = "batch-1"
	alertNotified = 12
	hostAfter     = 5 * time.Minute
	staffAfter    = 15 * time.Minute
	staffRepeat   = 15 * time.Minute
)

var (
	// alertRaised is when the sender raises the alert.
	alertRaised = time.Date(2026, 12, 5, 23, 10, 0, 0, time.UTC)
	alertEvents = []string{"event-1", "event-2"}

	asMember   = workflows.AlertActor{UserID: "member-2", TargetMember: true}
	asMember3  = workflows.AlertActor{UserID: "member-3", TargetMember: true}
	asHost     = workflows.AlertActor{UserID: "host-1", Host: true}
	asStaff    = workflows.AlertActor{UserID: "staff-1", Staff: true}
	asStranger = workflows.AlertActor{UserID: "stranger-1"}
	// asSender is the sender as the API describes them: a member of the
	// target groups.
	asSender = workflows.AlertActor{UserID: alertSender, TargetMember: true}
)

// alertBed runs one alert in the time-skipping environment with every
// activity mocked as the real ones answer: RecordAlert answers the
// alert's time and events, NotifyAlertMembers fails notifyFailures times
// then tells alertNotified members, the others record their call.
type alertBed struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	acts *activities.Safety
	in   workflows.SafetyAlertInput
	// notifyFailures is how many NotifyAlertMembers calls fail first.
	notifyFailures int
	// recordErr, when set, is RecordAlert's answer.
	recordErr error

	mu       sync.Mutex
	calls    []activityCall
	statuses []string
	eventID  string
	updates  int
	recorded *alertUpdate
}

// alertUpdate is what one Update answered.
type alertUpdate struct {
	rejected error
	err      error
	state    workflows.SafetyAlertState
	done     bool
}

func newAlertBed(t *testing.T) *alertBed {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	b := &alertBed{t: t, env: suite.NewTestWorkflowEnvironment(), acts: &activities.Safety{}}
	b.in = workflows.SafetyAlertInput{BatchID: alertBatch, SenderID: alertSender, ClientRequestID: "req-1",
		GroupIDs: []string{"group-1", "group-2"}, AlertType: enums.AlertTypeHarassment, Message: "Need help at the bar",
		SenderName: "Ada", HostAfter: hostAfter, StaffAfter: staffAfter, StaffRepeat: staffRepeat}
	b.env.SetStartTime(alertRaised)
	b.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	b.env.RegisterWorkflowWithOptions(workflows.SafetyAlert, workflowOptions(workflows.SafetyAlertWorkflowName))
	b.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		attrs := args.Get(0).(temporal.SearchAttributes)
		if status, ok := attrs.GetKeyword(workflows.SearchStatus); ok {
			b.statuses = append(b.statuses, status)
		}
		if event, ok := attrs.GetKeyword(workflows.SearchEventID); ok {
			b.eventID = event
		}
	}).Return(nil)
	return b
}

// note records a call of an activity at the workflow's time.
func (b *alertBed) note(name string, arg any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, activityCall{name: name, arg: arg, at: b.env.Now().UTC()})
}

func (b *alertBed) mockActivities() {
	e, a := b.env, b.acts
	e.OnActivity(a.RecordAlert, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordAlertInput) (activities.AlertRecord, error) {
			b.note("RecordAlert", in)
			if b.recordErr != nil {
				return activities.AlertRecord{}, b.recordErr
			}
			return activities.AlertRecord{CreatedAt: b.env.Now(), EventIDs: alertEvents}, nil
		}).Maybe()
	e.OnActivity(a.NotifyAlertMembers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, batchID string) (int, error) {
			b.note("NotifyAlertMembers", batchID)
			if len(b.callsOf("NotifyAlertMembers")) <= b.notifyFailures {
				return 0, errors.New("notification service unavailable")
			}
			return alertNotified, nil
		}).Maybe()
	e.OnActivity(a.EscalateAlertToHosts, mock.Anything, mock.Anything).Return(
		func(_ context.Context, batchID string) error {
			b.note("EscalateAlertToHosts", batchID)
			return nil
		}).Maybe()
	e.OnActivity(a.EscalateAlertToStaff, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, batchID string, round int) error {
			b.note("EscalateAlertToStaff", round)
			return nil
		}).Maybe()
	e.OnActivity(a.AcknowledgeAlert, mock.Anything, mock.Anything).Return(
		func(_ context.Context, d activities.AlertDecision) error {
			b.note("AcknowledgeAlert", d)
			return nil
		}).Maybe()
	e.OnActivity(a.ResolveAlert, mock.Anything, mock.Anything).Return(
		func(_ context.Context, d activities.AlertDecision) error {
			b.note("ResolveAlert", d)
			return nil
		}).Maybe()
}

// update sends an Update delay after the alert is raised.
func (b *alertBed) update(delay time.Duration, name string, args ...any) *alertUpdate {
	b.updates++
	id := fmt.Sprintf("%s-%d", name, b.updates)
	out := &alertUpdate{}
	b.env.RegisterDelayedCallback(func() {
		b.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { out.rejected, out.done = err, true },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				out.err, out.done = err, true
				if s, ok := v.(workflows.SafetyAlertState); ok {
					out.state = s
				}
			},
		}, args...)
	}, delay)
	return out
}

func (b *alertBed) ack(delay time.Duration, actor workflows.AlertActor) *alertUpdate {
	return b.update(delay, workflows.UpdateAcknowledgeAlert, workflows.AlertAck{Actor: actor})
}

func (b *alertBed) resolve(delay time.Duration, actor workflows.AlertActor, outcome string) *alertUpdate {
	return b.update(delay, workflows.UpdateResolveAlert, workflows.AlertResolution{Actor: actor, Outcome: outcome,
		Note: "handled"})
}

// execute runs the workflow to its end with the record Update sent with
// the start (Update-with-Start), and answers the workflow's error.
func (b *alertBed) execute() error {
	b.t.Helper()
	b.mockActivities()
	b.recorded = b.update(0, workflows.UpdateRecordAlert)
	b.env.ExecuteWorkflow(workflows.SafetyAlert, b.in)
	require.True(b.t, b.env.IsWorkflowCompleted())
	return b.env.GetWorkflowError()
}

// run runs the alert to its resolution and answers its final state.
func (b *alertBed) run() workflows.SafetyAlertState {
	b.t.Helper()
	require.NoError(b.t, b.execute())
	alertAccepted(b.t, b.recorded)
	var s workflows.SafetyAlertState
	require.NoError(b.t, b.env.GetWorkflowResult(&s))
	return s
}

// queryAt reads the state query delay after the alert is raised.
func (b *alertBed) queryAt(delay time.Duration) *workflows.SafetyAlertState {
	var s workflows.SafetyAlertState
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(workflows.QueryState)
		require.NoError(b.t, err)
		require.NoError(b.t, v.Get(&s))
	}, delay)
	return &s
}

// callsOf are the calls of one activity, in order.
func (b *alertBed) callsOf(name string) []activityCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []activityCall
	for _, c := range b.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// sinceRaised shows when calls ran, as durations after the alert.
func sinceRaised(calls []activityCall) []time.Duration {
	out := make([]time.Duration, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.at.Sub(alertRaised))
	}
	return out
}

func alertAccepted(t *testing.T, out *alertUpdate) workflows.SafetyAlertState {
	t.Helper()
	require.True(t, out.done, "the update answered")
	require.NoError(t, out.rejected)
	require.NoError(t, out.err)
	return out.state
}

// alertRefused checks an Update was refused by its validator with
// errType: it never ran, so it left nothing in the history.
func alertRefused(t *testing.T, out *alertUpdate, errType string) {
	t.Helper()
	require.True(t, out.done, "the update answered")
	require.Error(t, out.rejected, "the validator refused")
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, out.rejected, &appErr)
	assert.Equal(t, errType, appErr.Type())
}

// TestSafetyAlert_NotifyFailsTwiceThenTellsOnce: the notification
// service fails twice; the activity is retried until it answers, once
// successfully: the members are told once, before anything escalates.
func TestSafetyAlert_NotifyFailsTwiceThenTellsOnce(t *testing.T) {
	b := newAlertBed(t)
	b.notifyFailures = 2
	b.resolve(time.Minute, asMember, enums.AlertOutcomeAssisted)
	s := b.run()

	assert.Len(t, b.callsOf("NotifyAlertMembers"), 3, "two failures, then one success")
	assert.Equal(t, alertNotified, s.NotifiedCount)
	assert.Len(t, b.callsOf("RecordAlert"), 1)
	assert.Empty(t, b.callsOf("EscalateAlertToHosts"))
	assert.Equal(t, enums.AlertResolved, s.Status)
}

// TestSafetyAlert_RecordAnswersOnceRecorded: the record Update answers
// the alert as recorded (its time, its events), the events' first is
// the run's ConveneEventId, and a retried TriggerAlert's record answers
// the current state without recording again.
func TestSafetyAlert_RecordAnswersOnceRecorded(t *testing.T) {
	b := newAlertBed(t)
	again := b.update(2*time.Minute, workflows.UpdateRecordAlert)
	b.resolve(3*time.Minute, asHost, enums.AlertOutcomeFalseAlarm)
	b.run()

	first := b.recorded.state
	assert.Equal(t, alertBatch, first.BatchID)
	assert.Equal(t, alertSender, first.SenderID)
	assert.Equal(t, enums.AlertOpen, first.Status)
	assert.Equal(t, alertRaised, first.CreatedAt.UTC())
	assert.Equal(t, alertEvents, first.EventIDs)
	assert.Equal(t, []string{"group-1", "group-2"}, first.GroupIDs)
	assert.Equal(t, "event-1", b.eventID)

	second := alertAccepted(t, again)
	assert.Equal(t, alertNotified, second.NotifiedCount, "the retry answers the current state")
	records := b.callsOf("RecordAlert")
	require.Len(t, records, 1, "a retried trigger records nothing")
	assert.Equal(t, activities.RecordAlertInput{BatchID: alertBatch, SenderID: alertSender, ClientRequestID: "req-1",
		GroupIDs: []string{"group-1", "group-2"}, AlertType: enums.AlertTypeHarassment, Message: "Need help at the bar"},
		records[0].arg)
}

// TestSafetyAlert_RecordRefusalEndsTheRun: RecordAlert refuses (the
// sender is not a member of every group): the record Update and the run
// end with its refusal, nobody is told.
func TestSafetyAlert_RecordRefusalEndsTheRun(t *testing.T) {
	b := newAlertBed(t)
	b.recordErr = temporal.NewNonRetryableApplicationError("you are not a member of group-2",
		workflows.ErrTypeNotAllowed, nil)
	err := b.execute()

	require.Error(t, err)
	require.True(t, b.recorded.done)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, b.recorded.err, &appErr)
	assert.Equal(t, workflows.ErrTypeNotAllowed, appErr.Type())
	assert.Len(t, b.callsOf("RecordAlert"), 1, "a refusal is not retried")
	assert.Empty(t, b.callsOf("NotifyAlertMembers"))
}

// TestSafetyAlert_Escalation: with no acknowledgement the hosts are told
// at 5 minutes and staff at 15 and 30; an acknowledgement stops whatever
// is left of that ladder, and a resolution ends the run.
func TestSafetyAlert_Escalation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ackAt      time.Duration
		resolveAt  time.Duration
		wantHosts  []time.Duration
		wantStaff  []time.Duration
		wantStatus []string
	}{
		{name: "acknowledged before the hosts", ackAt: 3 * time.Minute, resolveAt: time.Hour,
			wantStatus: []string{enums.AlertAcknowledged, enums.AlertResolved}},
		{name: "acknowledged after the first staff round", ackAt: 20 * time.Minute, resolveAt: time.Hour,
			wantHosts: []time.Duration{hostAfter}, wantStaff: []time.Duration{staffAfter},
			wantStatus: []string{enums.AlertEscalatedHost, enums.AlertEscalatedStaff, enums.AlertAcknowledged,
				enums.AlertResolved}},
		{name: "never acknowledged", resolveAt: 31 * time.Minute,
			wantHosts: []time.Duration{hostAfter}, wantStaff: []time.Duration{staffAfter, staffAfter + staffRepeat},
			wantStatus: []string{enums.AlertEscalatedHost, enums.AlertEscalatedStaff, enums.AlertResolved}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newAlertBed(t)
			if tc.ackAt > 0 {
				b.ack(tc.ackAt, asMember)
			}
			b.resolve(tc.resolveAt, asStaff, enums.AlertOutcomeAssisted)
			s := b.run()

			assert.Equal(t, tc.wantHosts, nilIfEmpty(sinceRaised(b.callsOf("EscalateAlertToHosts"))))
			staff := b.callsOf("EscalateAlertToStaff")
			assert.Equal(t, tc.wantStaff, nilIfEmpty(sinceRaised(staff)))
			for i, c := range staff {
				assert.Equal(t, i+1, c.arg, "staff rounds are numbered from 1")
			}
			assert.Equal(t, len(tc.wantStaff), s.StaffEscalations)
			assert.Equal(t, tc.wantStatus, b.statuses)
			assert.Equal(t, enums.AlertResolved, s.Status)
			assert.Equal(t, tc.resolveAt, b.env.Now().Sub(alertRaised), "the run ends with the resolution")
		})
	}
}

func nilIfEmpty(ds []time.Duration) []time.Duration {
	if len(ds) == 0 {
		return nil
	}
	return ds
}

// TestSafetyAlert_EscalationShowsInTheState: the state query shows the
// hosts' time and the staff rounds as they happen.
func TestSafetyAlert_EscalationShowsInTheState(t *testing.T) {
	b := newAlertBed(t)
	beforeHosts := b.queryAt(4 * time.Minute)
	afterHosts := b.queryAt(6 * time.Minute)
	afterStaff := b.queryAt(16 * time.Minute)
	b.resolve(20*time.Minute, asHost, enums.AlertOutcomeAssisted)
	b.run()

	assert.Equal(t, enums.AlertOpen, beforeHosts.Status)
	assert.Equal(t, alertNotified, beforeHosts.NotifiedCount)
	assert.Nil(t, beforeHosts.HostEscalatedAt)
	assert.Equal(t, enums.AlertEscalatedHost, afterHosts.Status)
	require.NotNil(t, afterHosts.HostEscalatedAt)
	assert.Equal(t, alertRaised.Add(hostAfter), afterHosts.HostEscalatedAt.UTC())
	assert.Equal(t, enums.AlertEscalatedStaff, afterStaff.Status)
	assert.Equal(t, 1, afterStaff.StaffEscalations)
}

// TestSafetyAlert_Acknowledge: the sender and strangers may not
// acknowledge (refused in the validator, absent from the history); the
// first acknowledgement is kept, a later one by someone else is recorded
// and changes nothing else.
func TestSafetyAlert_Acknowledge(t *testing.T) {
	b := newAlertBed(t)
	bySender := b.ack(time.Minute, asSender)
	byStranger := b.ack(time.Minute, asStranger)
	first := b.ack(2*time.Minute, asMember)
	second := b.ack(10*time.Minute, asHost)
	b.resolve(20*time.Minute, asMember3, enums.AlertOutcomeAssisted)
	s := b.run()

	alertRefused(t, bySender, workflows.ErrTypeNotAllowed)
	alertRefused(t, byStranger, workflows.ErrTypeNotAllowed)
	acked := alertAccepted(t, first)
	assert.Equal(t, enums.AlertAcknowledged, acked.Status)
	assert.Equal(t, asMember.UserID, acked.AcknowledgedBy)
	again := alertAccepted(t, second)
	assert.Equal(t, asMember.UserID, again.AcknowledgedBy, "the first acknowledgement is kept")
	require.NotNil(t, again.AcknowledgedAt)
	assert.Equal(t, alertRaised.Add(2*time.Minute), again.AcknowledgedAt.UTC())

	acks := b.callsOf("AcknowledgeAlert")
	require.Len(t, acks, 2, "both acknowledgements are recorded, the refused ones never ran")
	assert.Equal(t, activities.AlertDecision{BatchID: alertBatch, UserID: asMember.UserID}, acks[0].arg)
	assert.Equal(t, activities.AlertDecision{BatchID: alertBatch, UserID: asHost.UserID}, acks[1].arg)
	assert.Empty(t, b.callsOf("EscalateAlertToHosts"))
	assert.Equal(t, asMember.UserID, s.AcknowledgedBy)
}

// TestSafetyAlert_Resolve: who may resolve with which outcome. Refused
// resolutions are rejected in the validator (absent from the history) and
// leave the alert open for the one that follows.
func TestSafetyAlert_Resolve(t *testing.T) {
	for _, tc := range []struct {
		name        string
		actor       workflows.AlertActor
		outcome     string
		wantRefusal string
	}{
		{name: "a member of a target group", actor: asMember, outcome: enums.AlertOutcomeAssisted},
		{name: "a host", actor: asHost, outcome: enums.AlertOutcomeFalseAlarm},
		{name: "staff", actor: asStaff, outcome: enums.AlertOutcomeOther},
		{name: "the sender as safe", actor: asSender, outcome: enums.AlertOutcomeSafe},
		{name: "the sender as assisted", actor: asSender, outcome: enums.AlertOutcomeAssisted,
			wantRefusal: workflows.ErrTypeNotAllowed},
		{name: "a stranger", actor: asStranger, outcome: enums.AlertOutcomeSafe, wantRefusal: workflows.ErrTypeNotAllowed},
		{name: "an unknown outcome", actor: asMember, outcome: "fine", wantRefusal: workflows.ErrTypeWrongState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newAlertBed(t)
			out := b.resolve(2*time.Minute, tc.actor, tc.outcome)
			if tc.wantRefusal != "" {
				b.resolve(3*time.Minute, asStaff, enums.AlertOutcomeOther)
			}
			s := b.run()

			resolutions := b.callsOf("ResolveAlert")
			require.Len(t, resolutions, 1)
			if tc.wantRefusal != "" {
				alertRefused(t, out, tc.wantRefusal)
				assert.Equal(t, asStaff.UserID, s.ResolvedBy, "the refused resolution changed nothing")
				return
			}
			st := alertAccepted(t, out)
			assert.Equal(t, enums.AlertResolved, st.Status)
			assert.Equal(t, tc.actor.UserID, st.ResolvedBy)
			assert.Equal(t, tc.outcome, st.Outcome)
			require.NotNil(t, st.ResolvedAt)
			assert.Equal(t, alertRaised.Add(2*time.Minute), st.ResolvedAt.UTC())
			assert.Equal(t, activities.AlertDecision{BatchID: alertBatch, UserID: tc.actor.UserID, Outcome: tc.outcome,
				Note: "handled"}, resolutions[0].arg)
			assert.Equal(t, s, st, "the run ends with the resolution")
		})
	}
}

// TestSafetyAlert_SecondResolveRefused: two people resolve at once; one
// resolution is recorded, the other is refused as the wrong state; an
// acknowledgement after it too.
func TestSafetyAlert_SecondResolveRefused(t *testing.T) {
	b := newAlertBed(t)
	first := b.resolve(2*time.Minute, asMember, enums.AlertOutcomeAssisted)
	second := b.resolve(2*time.Minute, asHost, enums.AlertOutcomeFalseAlarm)
	s := b.run()

	alertAccepted(t, first)
	require.True(t, second.done, "the second resolution answered")
	refusal := second.rejected
	if refusal == nil {
		refusal = second.err // accepted while the first ran, refused once it had
	}
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, refusal, &appErr)
	assert.Equal(t, workflows.ErrTypeWrongState, appErr.Type())
	assert.Len(t, b.callsOf("ResolveAlert"), 1)
	assert.Equal(t, asMember.UserID, s.ResolvedBy)
	assert.Equal(t, enums.AlertOutcomeAssisted, s.Outcome)
}

// TestSafetyAlert_ResolveWaitsForTheNotice: a resolution sent while the
// members' notice is still being retried waits for it: nobody hears the
// alert is resolved before hearing of it.
func TestSafetyAlert_ResolveWaitsForTheNotice(t *testing.T) {
	b := newAlertBed(t)
	b.notifyFailures = 2
	out := b.resolve(500*time.Millisecond, asSender, enums.AlertOutcomeSafe)
	s := b.run()

	alertAccepted(t, out)
	notices := b.callsOf("NotifyAlertMembers")
	require.Len(t, notices, 3)
	resolutions := b.callsOf("ResolveAlert")
	require.Len(t, resolutions, 1)
	assert.False(t, resolutions[0].at.Before(notices[2].at), "resolved at %s, told at %s",
		sinceRaised(resolutions), sinceRaised(notices))
	assert.Equal(t, alertNotified, s.NotifiedCount)
	assert.Equal(t, alertSender, s.ResolvedBy)
}
