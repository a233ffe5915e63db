package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/workflows"
)

// publishBundle is one ContentPublish run in the time-skipping test
// environment with its activities mocked: BeginPost claims a fresh row
// "row-<account>" for every target unless a test says otherwise, and
// FinishPublishing records what the run reported.
type publishBundle struct {
	env      *testsuite.TestWorkflowEnvironment
	acts     *activities.Publishing
	start    time.Time
	finished *activities.FinishPublishingInput
}

func setupPublish(t *testing.T, targets ...activities.PostTarget) *publishBundle {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	acts := &activities.Publishing{}
	env.RegisterActivity(acts)
	env.RegisterWorkflow(workflows.ContentPublish)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	b := &publishBundle{env: env, acts: acts, start: env.Now()}
	env.OnActivity(acts.BeginPublishing, mock.Anything, activities.BeginPublishingInput{ContentID: "content-1", ContentVersionID: "cv-1"}).
		Return(targets, nil).Once()
	env.OnActivity(acts.FinishPublishing, mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		in := args.Get(1).(activities.FinishPublishingInput)
		b.finished = &in
	}).Return(nil).Once()
	return b
}

// target is a social account with no post yet.
func target(account string) activities.PostTarget {
	return activities.PostTarget{SocialAccountID: account, Platform: "x"}
}

// claimFresh makes BeginPost write a fresh row for the account.
func (b *publishBundle) claimFresh(account string) {
	b.env.OnActivity(b.acts.BeginPost, mock.Anything, mock.MatchedBy(func(in activities.BeginPostInput) bool { return in.SocialAccountID == account })).
		Return(activities.PostTicket{RowID: "row-" + account, Status: enums.PostPublishing, Publish: true}, nil).Once()
}

func call(account string) activities.PostCall { return activities.PostCall{RowID: "row-" + account} }

func posted(id string) activities.PostDone {
	return activities.PostDone{PostID: id, URL: "https://sandbox.social/x/posts/" + id}
}

func platformError(errType, msg string, details ...any) error {
	return temporal.NewApplicationErrorWithOptions(msg, errType, temporal.ApplicationErrorOptions{NonRetryable: true, Details: details})
}

func (b *publishBundle) run(in workflows.ContentPublishInput) workflows.ContentPublishResult {
	if in.ContentID == "" {
		in = workflows.ContentPublishInput{OrganizationID: "org-1", ContentID: "content-1", ContentVersionID: "cv-1", Version: 1,
			AuthorUserID: "author-1", Title: "Launch"}
	}
	b.env.ExecuteWorkflow(workflows.ContentPublish, in)
	return b.result()
}

func (b *publishBundle) result() workflows.ContentPublishResult {
	var r workflows.ContentPublishResult
	if b.env.IsWorkflowCompleted() && b.env.GetWorkflowError() == nil {
		_ = b.env.GetWorkflowResult(&r)
	}
	return r
}

func TestContentPublish_AllTargetsPosted(t *testing.T) {
	b := setupPublish(t, target("acct-a"), target("acct-b"))
	for _, a := range []string{"acct-a", "acct-b"} {
		b.claimFresh(a)
		b.env.OnActivity(b.acts.PublishPost, mock.Anything, call(a)).Return(posted("post-"+a), nil).Once()
	}
	r := b.run(workflows.ContentPublishInput{})

	require.NoError(t, b.env.GetWorkflowError())
	assert.Equal(t, enums.ContentPublished, r.Status)
	require.Len(t, r.Posts, 2)
	assert.Equal(t, "post-acct-a", r.Posts[0].PostID)
	assert.Equal(t, enums.PostPublished, r.Posts[1].Status)
	require.NotNil(t, b.finished)
	assert.Equal(t, activities.FinishPublishingInput{OrganizationID: "org-1", ContentID: "content-1", Version: 1,
		AuthorUserID: "author-1", Title: "Launch", Status: enums.ContentPublished, Published: 2, Total: 2}, *b.finished)
	b.env.AssertExpectations(t)
}

// TestContentPublish_TimeoutAfterAcceptPostsOnce: the platform took the
// post but the answer never came; the lookup finds it, so the post is
// recorded and the platform is not called a second time.
func TestContentPublish_TimeoutAfterAcceptPostsOnce(t *testing.T) {
	b := setupPublish(t, target("acct-a"))
	b.claimFresh("acct-a")
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).
		Return(activities.PostDone{}, platformError(activities.ErrPostOutcomeUnknown, "context deadline exceeded")).Once()
	b.env.OnActivity(b.acts.LookupPost, mock.Anything, call("acct-a")).
		Return(activities.PostLookup{Found: true, Post: posted("post-1")}, nil).Once()
	b.env.OnActivity(b.acts.RecordPost, mock.Anything, activities.RecordPostInput{RowID: "row-acct-a", Post: posted("post-1")}).
		Return(nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentPublished, r.Status)
	assert.Equal(t, "post-1", r.Posts[0].PostID)
	b.env.AssertNumberOfCalls(t, "PublishPost", 1)
	b.env.AssertExpectations(t)
}

// TestContentPublish_WorkerDiedMidPublish: the publish activity never
// answers (its worker died); the run looks the post up, as after any
// timeout, and finds it.
func TestContentPublish_WorkerDiedMidPublish(t *testing.T) {
	b := setupPublish(t, target("acct-a"))
	b.claimFresh("acct-a")
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).
		Return(activities.PostDone{}, temporal.NewTimeoutError(0, errors.New("start-to-close timeout"))).Once()
	b.env.OnActivity(b.acts.LookupPost, mock.Anything, call("acct-a")).
		Return(activities.PostLookup{Found: true, Post: posted("post-1")}, nil).Once()
	b.env.OnActivity(b.acts.RecordPost, mock.Anything, mock.Anything).Return(nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentPublished, r.Status)
	b.env.AssertNumberOfCalls(t, "PublishPost", 1)
	b.env.AssertExpectations(t)
}

// TestContentPublish_AbsentAfterTimeoutRetriesOnce: the lookup finds no
// post, so the run publishes once more.
func TestContentPublish_AbsentAfterTimeoutRetriesOnce(t *testing.T) {
	b := setupPublish(t, target("acct-a"))
	b.claimFresh("acct-a")
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).
		Return(activities.PostDone{}, platformError(activities.ErrPostOutcomeUnknown, "503")).Once()
	b.env.OnActivity(b.acts.LookupPost, mock.Anything, call("acct-a")).Return(activities.PostLookup{}, nil).Once()
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).Return(posted("post-2"), nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentPublished, r.Status)
	assert.Equal(t, "post-2", r.Posts[0].PostID)
	b.env.AssertNumberOfCalls(t, "PublishPost", 2)
	b.env.AssertExpectations(t)
}

// TestContentPublish_UnknownNeedsAttention: after a timeout the platform
// cannot say whether the post exists; the post is left for an operator
// instead of risking a second one.
func TestContentPublish_UnknownNeedsAttention(t *testing.T) {
	b := setupPublish(t, target("acct-a"))
	b.claimFresh("acct-a")
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).
		Return(activities.PostDone{}, platformError(activities.ErrPostOutcomeUnknown, "context deadline exceeded")).Once()
	b.env.OnActivity(b.acts.LookupPost, mock.Anything, call("acct-a")).
		Return(activities.PostLookup{}, errors.New("look up post: social platform unavailable")).Once()
	b.env.OnActivity(b.acts.MarkPost, mock.Anything, mock.MatchedBy(func(in activities.MarkPostInput) bool {
		return in.RowID == "row-acct-a" && in.Status == enums.PostNeedsAttention
	})).Return(nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentFailed, r.Status, "nothing is known to be posted")
	assert.Equal(t, enums.PostNeedsAttention, r.Posts[0].Status)
	b.env.AssertNumberOfCalls(t, "PublishPost", 1)
	b.env.AssertExpectations(t)
}

// TestContentPublish_RateLimitedWaitsRetryAfter: a 429 with Retry-After
// 90s; the run sleeps that long, then posts.
func TestContentPublish_RateLimitedWaitsRetryAfter(t *testing.T) {
	b := setupPublish(t, target("acct-a"))
	b.claimFresh("acct-a")
	var firstCall, secondCall time.Time
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).Run(func(mock.Arguments) { firstCall = b.env.Now() }).
		Return(activities.PostDone{}, platformError(activities.ErrPostRateLimited, "429", 90*time.Second)).Once()
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).Run(func(mock.Arguments) { secondCall = b.env.Now() }).
		Return(posted("post-1"), nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentPublished, r.Status)
	assert.GreaterOrEqual(t, secondCall.Sub(firstCall), 90*time.Second, "waited Retry-After before calling again")
	assert.Less(t, secondCall.Sub(firstCall), 91*time.Second)
	b.env.AssertNotCalled(t, "LookupPost", mock.Anything, mock.Anything)
	b.env.AssertExpectations(t)
}

// TestContentPublish_OneRejectedIsPartial: one platform refuses its post,
// the other posts: partially published, the refusal recorded.
func TestContentPublish_OneRejectedIsPartial(t *testing.T) {
	b := setupPublish(t, target("acct-a"), target("acct-b"))
	b.claimFresh("acct-a")
	b.claimFresh("acct-b")
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-a")).Return(posted("post-a"), nil).Once()
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-b")).
		Return(activities.PostDone{}, platformError(activities.ErrPostRejected, "text is 300 characters, x allows 280")).Once()
	b.env.OnActivity(b.acts.MarkPost, mock.Anything, activities.MarkPostInput{RowID: "row-acct-b", Status: enums.PostFailed,
		Reason: "text is 300 characters, x allows 280"}).Return(nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentPartiallyPublished, r.Status)
	assert.Equal(t, []string{enums.PostPublished, enums.PostFailed}, []string{r.Posts[0].Status, r.Posts[1].Status})
	assert.Equal(t, 1, b.finished.Published)
	b.env.AssertNotCalled(t, "LookupPost", mock.Anything, mock.Anything)
	b.env.AssertExpectations(t)
}

// TestContentPublish_RetryPostsOnlyNamedTarget: a RetryPublish run names
// the failed target; the published one is kept as it is and counts
// towards the outcome.
func TestContentPublish_RetryPostsOnlyNamedTarget(t *testing.T) {
	done := activities.PostTarget{SocialAccountID: "acct-a", Platform: "x", Status: enums.PostPublished, PostID: "post-a"}
	failed := activities.PostTarget{SocialAccountID: "acct-b", Platform: "x", Status: enums.PostFailed}
	b := setupPublish(t, done, failed)
	b.env.OnActivity(b.acts.BeginPost, mock.Anything, mock.MatchedBy(func(in activities.BeginPostInput) bool {
		return in.SocialAccountID == "acct-b" && in.Retry
	})).Return(activities.PostTicket{RowID: "row-acct-b", Status: enums.PostPublishing, Publish: true}, nil).Once()
	b.env.OnActivity(b.acts.PublishPost, mock.Anything, call("acct-b")).Return(posted("post-b"), nil).Once()
	r := b.run(workflows.ContentPublishInput{OrganizationID: "org-1", ContentID: "content-1", ContentVersionID: "cv-1", Version: 1,
		AuthorUserID: "author-1", Title: "Launch", SocialAccountIDs: []string{"acct-b"}})

	assert.Equal(t, enums.ContentPublished, r.Status)
	assert.Equal(t, "post-a", r.Posts[0].PostID)
	b.env.AssertNumberOfCalls(t, "BeginPost", 1)
	b.env.AssertNumberOfCalls(t, "PublishPost", 1)
	b.env.AssertExpectations(t)
}

// TestContentPublish_InterruptedRunLooksUpFirst: the row was left
// "publishing" by a run that died; the new attempt finds the post by
// lookup and never calls publish.
func TestContentPublish_InterruptedRunLooksUpFirst(t *testing.T) {
	b := setupPublish(t, target("acct-a"))
	b.env.OnActivity(b.acts.BeginPost, mock.Anything, mock.Anything).
		Return(activities.PostTicket{RowID: "row-acct-a", Status: enums.PostPublishing, Publish: true, MayExist: true}, nil).Once()
	b.env.OnActivity(b.acts.LookupPost, mock.Anything, call("acct-a")).
		Return(activities.PostLookup{Found: true, Post: posted("post-1")}, nil).Once()
	b.env.OnActivity(b.acts.RecordPost, mock.Anything, mock.Anything).Return(nil).Once()
	r := b.run(workflows.ContentPublishInput{})

	assert.Equal(t, enums.ContentPublished, r.Status)
	b.env.AssertNotCalled(t, "PublishPost", mock.Anything, mock.Anything)
	b.env.AssertExpectations(t)
}
