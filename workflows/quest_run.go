package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// Outside checks (telegram_join, twitter_follow, api_check): 3 tries in
// all, 1 s then 2 s apart, each bounded by the verifier's 10 s timeout
// plus the activity's own work. After the third failure the submission
// fails with "verifier unavailable".
const (
	verifyAttempts        = 3
	verifyInitialInterval = time.Second
	verifyTimeout         = 15 * time.Second
)

// periodLayout is how a period is named: the UTC date it starts on.
const periodLayout = "2006-01-02"

// QuestRun is the run of one member in one quest. Its story:
//  1. join in one activity (the place, the registration); the `join`
//     Update answers with that, and a repeated join with the state;
//  2. a registration awaiting approval waits for `decide-registration`
//     until the quest's end (then it expires);
//  3. `submit-task` records a submission; inline kinds are decided in it,
//     outside checks are verified with 3 tries, manual proofs and kinds
//     with no verifier wait for `review-task`; one loop with one timer
//     reminds the reviewers at the review deadline and escalates at twice
//     the SLA;
//  4. once every required task of the period is completed, the period is
//     completed in one activity (the points). A one-off quest then ends;
//     a recurring one waits for the period's end and continues as new for
//     the next period, until the quest's end. A one-off quest reaching its
//     end incomplete expires; `quest-closed` ends an open run;
//  5. a period does not end under a task still in review or being
//     verified: at its end the run refuses new submissions for it but
//     drains, taking the reviews (reminders and escalation go on) and
//     letting a running check finish; then the period is completed,
//     rolled over or expired as its tasks stand.
func QuestRun(ctx workflow.Context, in QuestRunInput) (QuestRunState, error) {
	r := &questRun{in: in, state: QuestRunState{QuestID: in.QuestID, OrganizationID: in.OrganizationID,
		UserID: in.UserID, Status: QuestRunActive, Period: in.Period}}
	if err := r.registerHandlers(ctx); err != nil {
		return r.state, err
	}
	err := r.run(ctx)
	// Let update callers see the final state before the run closes (or
	// continues as new).
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return r.answer(), err
}

type questRun struct {
	in    QuestRunInput
	state QuestRunState
	acts  *activities.Quests
	// quest holds the quest's facts from the join: its window, period end,
	// cooldown, SLA and recurrence.
	quest activities.QuestSnapshot
	// joined is set once the join activity answered (joinErr its error):
	// the join Update waits for it and the other Updates are refused
	// before it.
	joined  bool
	joinErr error
	// busy is held by whoever runs an activity that writes the run (the
	// loop's step or an Update's handler), so their writes and their
	// changes to the state never interleave.
	busy bool
	// woken ends the loop's sleep: an Update changed what it waits for.
	woken bool
	// closing is set by the quest-closed signal; ended once the run's
	// outcome is final (nothing more is admitted).
	closing bool
	ended   bool
	// checking is set while an outside check runs (status verifying).
	checking bool
}

func (r *questRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (QuestRunState, error) { return r.answer(), nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateJoinQuest, r.handleJoin); err != nil {
		return fmt.Errorf("register %s update: %w", UpdateJoinQuest, err)
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateDecideRegistration, r.handleDecideRegistration, r.validateDecideRegistration},
		{UpdateSubmitTask, r.handleSubmitTask, r.validateSubmitTask},
		{UpdateReviewTask, r.handleReviewTask, r.validateReviewTask},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("register %s update: %w", h.name, err)
		}
	}
	closed := workflow.GetSignalChannel(ctx, SignalQuestClosed)
	workflow.Go(ctx, func(ctx workflow.Context) {
		closed.Receive(ctx, nil)
		r.closing = true
	})
	return nil
}

func (r *questRun) run(ctx workflow.Context) error {
	if err := r.join(ctx); err != nil {
		return err
	}
	if err := r.resumeChecks(ctx); err != nil {
		return err
	}
	for !r.ended {
		var next time.Time
		err := r.exclusive(ctx, func() error {
			var err error
			next, err = r.step(ctx)
			return err
		})
		if err != nil {
			return err
		}
		if r.ended {
			break
		}
		if r.rollsOver(ctx) {
			return workflow.NewContinueAsNewError(ctx, QuestRunWorkflowName, r.nextPeriodInput())
		}
		r.sleep(ctx, next)
	}
	return nil
}

// join runs the join transaction and takes the quest and the member's
// standing from it.
func (r *questRun) join(ctx workflow.Context) error {
	defer func() { r.joined = true }()
	var snap activities.QuestSnapshot
	err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.JoinQuest, activities.QuestJoin{
		QuestID: r.in.QuestID, OrganizationID: r.in.OrganizationID, UserID: r.in.UserID, Period: r.in.Period}).Get(ctx, &snap)
	if err != nil {
		r.joinErr = fmt.Errorf("join quest %s: %w", r.in.QuestID, err)
		return r.joinErr
	}
	r.quest = snap
	r.state.Registration, r.state.Period, r.state.Tasks = snap.Registration, snap.Period, snap.Tasks
	r.state.CompletedAt, r.state.PointsAwarded = snap.CompletedAt, snap.PointsAwarded
	r.upsertIdentity(ctx)
	r.refreshStatus(ctx)
	return nil
}

// resumeChecks finishes the outside checks a failed earlier run left
// verifying in this period: the same check again (VerifyTask reads the
// submission and its request ID from the row), else the member could
// never submit the task again.
func (r *questRun) resumeChecks(ctx workflow.Context) error {
	for _, t := range slices.Clone(r.state.Tasks) {
		if t.Status != enums.UserTaskVerifying {
			continue
		}
		err := r.exclusive(ctx, func() error {
			rec := activities.SubmissionRecord{QuestID: r.in.QuestID, UserID: r.in.UserID, TaskID: t.TaskID,
				Period: r.state.Period}
			out, err := r.verify(ctx, rec)
			if err != nil {
				return err
			}
			r.apply(t.TaskID, out)
			return r.settle(ctx)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// upsertIdentity keeps the run's identity search attributes current on
// every run, continued ones included, with the conference the join found.
func (r *questRun) upsertIdentity(ctx workflow.Context) {
	in := r.in
	if r.quest.ConferenceID != "" {
		in.ConferenceID = r.quest.ConferenceID
	}
	updates := []temporal.SearchAttributeUpdate{SearchOrgID.ValueSet(in.OrganizationID), SearchUserID.ValueSet(in.UserID)}
	if in.ConferenceID != "" {
		updates = append(updates, SearchEventID.ValueSet(in.ConferenceID))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("identity search attributes not updated", "error", err)
	}
}

// step does what is due now (the quest closed, a registration expiring,
// the period's completion, review reminders, the quest's end) and answers
// when the next thing is due.
func (r *questRun) step(ctx workflow.Context) (time.Time, error) {
	r.woken = false
	now := workflow.Now(ctx)
	switch {
	case r.ended:
		return time.Time{}, nil
	case r.closing:
		return time.Time{}, r.close(ctx)
	case r.state.Registration == enums.RegistrationPending:
		if now.Before(r.quest.EndsAt) {
			return r.quest.EndsAt, nil
		}
		return time.Time{}, r.expireRegistration(ctx)
	}
	if err := r.completeIfDone(ctx); err != nil {
		return time.Time{}, err
	}
	switch {
	case r.state.CompletedAt != nil && !r.continuesAfterPeriod():
		r.end(ctx, QuestRunCompleted)
		return time.Time{}, nil
	case r.draining(now):
		// The period is over but an outcome is still to come: remind
		// the reviewers and wait for it.
	case r.state.CompletedAt != nil:
		return r.periodEnds(), nil
	case !now.Before(r.periodEnds()) && !r.continuesAfterPeriod():
		return time.Time{}, r.close(ctx)
	}
	if err := r.remindReviewers(ctx, now); err != nil {
		return time.Time{}, err
	}
	return r.nextWake(now), nil
}

// sleep waits until next (forever when zero) or until an Update or the
// quest-closed signal wakes it.
func (r *questRun) sleep(ctx workflow.Context, next time.Time) {
	woken := func() bool { return r.woken || r.closing }
	if next.IsZero() {
		_ = workflow.Await(ctx, woken)
		return
	}
	if d := next.Sub(workflow.Now(ctx)); d > 0 {
		_, _ = workflow.AwaitWithTimeout(ctx, d, woken)
	}
}

// exclusive runs fn while no other writer (the loop or another Update's
// handler) runs; fn's activities and its state change are one step.
func (r *questRun) exclusive(ctx workflow.Context, fn func() error) error {
	_ = workflow.Await(ctx, func() bool { return !r.busy })
	r.busy = true
	defer func() { r.busy = false }()
	return fn()
}

// periodEnds is when the run's period ends: the quest's end for a
// one-off quest, else the next period's start (the quest's end if sooner).
func (r *questRun) periodEnds() time.Time {
	if r.quest.Recurrence == enums.RecurrenceNone || r.quest.PeriodEnds.IsZero() || r.quest.PeriodEnds.After(r.quest.EndsAt) {
		return r.quest.EndsAt
	}
	return r.quest.PeriodEnds
}

// continuesAfterPeriod reports whether a recurring quest has a next
// period: its period ends before the quest does.
func (r *questRun) continuesAfterPeriod() bool {
	return r.quest.Recurrence != enums.RecurrenceNone && r.periodEnds().Before(r.quest.EndsAt)
}

// rollsOver reports whether the run's period is over, drained, and the
// quest goes on: the run continues as new for the next period, completed
// or not.
func (r *questRun) rollsOver(ctx workflow.Context) bool {
	now := workflow.Now(ctx)
	return !r.ended && !r.closing && r.state.Registration == enums.RegistrationApproved &&
		r.continuesAfterPeriod() && !now.Before(r.periodEnds()) && !r.draining(now)
}

// draining reports whether the period is over while a task of it is still
// in review or being verified: the run waits for those outcomes (taking
// no new submission) before it completes, rolls over or expires the
// period, so no row is left in review with no run to decide it.
func (r *questRun) draining(now time.Time) bool {
	return !now.Before(r.periodEnds()) && undecidedTasks(r.state.Tasks) > 0
}

// undecidedTasks counts the tasks whose outcome is still to come.
func undecidedTasks(tasks []activities.QuestTaskProgress) int {
	return countTasks(tasks, enums.UserTaskSubmitted) + countTasks(tasks, enums.UserTaskVerifying) +
		countTasks(tasks, enums.UserTaskInReview)
}

// nextPeriodInput starts the next period's run: it begins where this
// period ends.
func (r *questRun) nextPeriodInput() QuestRunInput {
	next := r.in
	next.Period = r.periodEnds().UTC().Format(periodLayout)
	if r.quest.ConferenceID != "" {
		next.ConferenceID = r.quest.ConferenceID
	}
	return next
}

// nextWake is the earliest of the period's end (unless it is past: a
// draining period) and the next reminder of a task in review; zero when
// nothing is due (the loop waits for an Update).
func (r *questRun) nextWake(now time.Time) time.Time {
	var next time.Time
	if now.Before(r.periodEnds()) {
		next = r.periodEnds()
	}
	for _, t := range r.state.Tasks {
		if _, at := r.nextReminder(t); !at.IsZero() && at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// nextReminder is the rung a task in review is due for next and when:
// 1 at its review deadline, 2 (the escalation) one SLA later; zero time
// when the ladder is done or the task is not in review.
func (r *questRun) nextReminder(t activities.QuestTaskProgress) (int, time.Time) {
	if t.Status != enums.UserTaskInReview || t.ReviewDueAt == nil {
		return 0, time.Time{}
	}
	switch t.ReviewReminders {
	case 0:
		return 1, *t.ReviewDueAt
	case 1:
		return 2, t.ReviewDueAt.Add(r.quest.ReviewSLA)
	}
	return 0, time.Time{}
}

// remindReviewers sends each rung whose time has come, in order.
func (r *questRun) remindReviewers(ctx workflow.Context, now time.Time) error {
	for i := range r.state.Tasks {
		t := &r.state.Tasks[i]
		for level, at := r.nextReminder(*t); !at.IsZero() && !at.After(now); level, at = r.nextReminder(*t) {
			err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.RemindReviewers, activities.ReviewReminder{
				QuestID: r.in.QuestID, UserID: r.in.UserID, TaskID: t.TaskID, Period: r.state.Period, Level: level}).Get(ctx, nil)
			if err != nil {
				return fmt.Errorf("remind reviewers of task %s at level %d: %w", t.TaskID, level, err)
			}
			t.ReviewReminders = level
		}
	}
	return nil
}

// completeIfDone completes the period once every required task of it is
// completed: the points and the completion, in one activity.
func (r *questRun) completeIfDone(ctx workflow.Context) error {
	if r.state.CompletedAt != nil || !periodDone(r.state.Tasks) {
		return nil
	}
	var res activities.CompletionResult
	err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.CompleteQuest, activities.QuestPeriodRef{
		QuestID: r.in.QuestID, UserID: r.in.UserID, Period: r.state.Period}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("complete quest %s for period %s: %w", r.in.QuestID, r.state.Period, err)
	}
	completedAt := res.CompletedAt
	if completedAt.IsZero() {
		completedAt = workflow.Now(ctx)
	}
	r.state.CompletedAt, r.state.PointsAwarded = &completedAt, res.Points
	r.woken = true
	r.refreshStatus(ctx)
	return nil
}

// periodDone reports whether every required task is completed, and at
// least one task is (a quest of optional tasks only needs one).
func periodDone(tasks []activities.QuestTaskProgress) bool {
	completed := 0
	for _, t := range tasks {
		switch {
		case t.Status == enums.UserTaskCompleted:
			completed++
		case t.Required:
			return false
		}
	}
	return completed > 0
}

// expireRegistration expires a registration still pending at the quest's
// end and frees the place.
func (r *questRun) expireRegistration(ctx workflow.Context) error {
	ref := activities.QuestRunRef{QuestID: r.in.QuestID, UserID: r.in.UserID}
	if err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.ExpireRegistration, ref).Get(ctx, nil); err != nil {
		return fmt.Errorf("expire registration of %s in quest %s: %w", r.in.UserID, r.in.QuestID, err)
	}
	r.state.Registration = enums.RegistrationExpired
	r.end(ctx, QuestRunExpired)
	return nil
}

// close ends a run the quest's end or its archiving cut short: a period
// already completed stays completed; anything else expires (the pending
// registration, the place).
func (r *questRun) close(ctx workflow.Context) error {
	if r.state.CompletedAt != nil {
		r.end(ctx, QuestRunCompleted)
		return nil
	}
	err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.CloseQuestRun, activities.QuestRunClose{
		QuestID: r.in.QuestID, UserID: r.in.UserID, Status: QuestRunExpired}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("close quest run of %s in quest %s: %w", r.in.UserID, r.in.QuestID, err)
	}
	if r.state.Registration == enums.RegistrationPending {
		r.state.Registration = enums.RegistrationExpired
	}
	r.end(ctx, QuestRunExpired)
	return nil
}

// end makes status the run's final one: nothing more is admitted.
func (r *questRun) end(ctx workflow.Context, status string) {
	r.ended = true
	r.setStatus(ctx, status)
}

// answer is the state as the query and the Updates answer it: a copy, so
// the run's later changes never show through an earlier answer.
func (r *questRun) answer() QuestRunState {
	s := r.state
	s.Tasks = slices.Clone(r.state.Tasks)
	return s
}

// refreshStatus derives the open run's status from the state.
func (r *questRun) refreshStatus(ctx workflow.Context) {
	if !r.ended {
		r.setStatus(ctx, r.openStatus())
	}
}

// openStatus is the status of a run that has not ended: awaiting approval
// while the registration is pending; completed once the period is; in
// review while any task waits for a reviewer (what operators filter on);
// verifying while an outside check runs; else active.
func (r *questRun) openStatus() string {
	switch {
	case r.state.Registration == enums.RegistrationPending:
		return QuestRunAwaitingApproval
	case r.state.CompletedAt != nil:
		return QuestRunCompleted
	case countTasks(r.state.Tasks, enums.UserTaskInReview) > 0:
		return QuestRunInReview
	case r.checking || countTasks(r.state.Tasks, enums.UserTaskVerifying) > 0:
		return QuestRunVerifying
	}
	return QuestRunActive
}

// setStatus records status in the state and, when it changed, in the
// search attribute operators filter on; the details line follows.
func (r *questRun) setStatus(ctx workflow.Context, status string) {
	if status != r.state.Status {
		if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(status)); err != nil {
			workflow.GetLogger(ctx).Warn("status search attribute not updated", "error", err)
		}
	}
	r.state.Status = status
	workflow.SetCurrentDetails(ctx, questRunDetails(r.state))
}

// questRunDetails is the run's details line: "2/3 tasks, 1 in review".
func questRunDetails(s QuestRunState) string {
	parts := []string{fmt.Sprintf("%d/%d tasks", countTasks(s.Tasks, enums.UserTaskCompleted), len(s.Tasks))}
	if n := countTasks(s.Tasks, enums.UserTaskInReview); n > 0 {
		parts = append(parts, fmt.Sprintf("%d in review", n))
	}
	if s.Status != QuestRunActive && s.Status != QuestRunInReview {
		parts = append(parts, s.Status)
	}
	return strings.Join(parts, ", ")
}

// countTasks counts the tasks in status.
func countTasks(tasks []activities.QuestTaskProgress, status string) int {
	n := 0
	for _, t := range tasks {
		if t.Status == status {
			n++
		}
	}
	return n
}
