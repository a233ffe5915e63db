package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// Publishing limits: how often one target waits out a 429 before it gives
// up, and the shortest wait (a platform answering Retry-After: 0).
const (
	maxRateLimitWaits = 10
	minRateLimitWait  = time.Second
)

// ContentPublishSummary is a publishing run's static summary in the
// Temporal UI: "title vN".
func ContentPublishSummary(title string, version int) string {
	return fmt.Sprintf("%s v%d", title, version)
}

// ContentPublishStart is everything a RetryPublish start needs; it is
// stored in the River job that starts the run, so it is plain data.
type ContentPublishStart struct {
	Input   ContentPublishInput `json:"input"`
	Attempt int                 `json:"attempt"`
}

// StartContentPublish starts the publishing run of st (attempt n of the
// version) on taskQueue, or finds it running or done (see startOnce). The
// API calls it after commit; workflowstart.ContentPublishArgs if it did not.
func StartContentPublish(ctx context.Context, c client.Client, taskQueue string, st ContentPublishStart) error {
	in := st.Input
	return startOnce(ctx, c, client.StartWorkflowOptions{
		ID:                    ContentPublishWorkflowID(in.ContentID, in.Version, st.Attempt),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		TypedSearchAttributes: temporal.NewSearchAttributes(contentPublishAttributes(in, enums.ContentPublishing)...),
		StaticSummary:         ContentPublishSummary(in.Title, in.Version),
	}, ContentPublishWorkflowName, in)
}

// contentPublishAttributes are a publishing run's search attributes.
func contentPublishAttributes(in ContentPublishInput, status string) []temporal.SearchAttributeUpdate {
	attrs := []temporal.SearchAttributeUpdate{SearchOrgID.ValueSet(in.OrganizationID),
		SearchUserID.ValueSet(in.AuthorUserID), SearchStatus.ValueSet(status)}
	if in.EventID != "" {
		attrs = append(attrs, SearchEventID.ValueSet(in.EventID))
	}
	return attrs
}

// ContentPublish posts an approved version on its targets. Its story:
//  1. mark the content publishing and list the version's targets;
//  2. per target, at once: write the "publishing" row, then call the
//     platform once with the post's idempotency key (see publishTarget);
//  3. the outcome over every target is published, partially_published or
//     failed: set it on the content, tell the author, audit.
//
// The state query answers the result so far (status publishing).
func ContentPublish(ctx workflow.Context, in ContentPublishInput) (ContentPublishResult, error) {
	p := &contentPublish{in: in, state: ContentPublishResult{Status: enums.ContentPublishing}}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ContentPublishResult, error) { return p.state, nil }); err != nil {
		return p.state, fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, contentPublishAttributes(in, enums.ContentPublishing)...); err != nil {
		return p.state, fmt.Errorf("set search attributes: %w", err)
	}
	if err := p.run(ctx); err != nil {
		return p.state, err
	}
	return p.state, nil
}

type contentPublish struct {
	in    ContentPublishInput
	state ContentPublishResult
	acts  *activities.Publishing
}

func (p *contentPublish) run(ctx workflow.Context) error {
	var targets []activities.PostTarget
	err := workflow.ExecuteActivity(activityOptions(ctx), p.acts.BeginPublishing, activities.BeginPublishingInput{
		ContentID: p.in.ContentID, ContentVersionID: p.in.ContentVersionID}).Get(ctx, &targets)
	if err != nil {
		return fmt.Errorf("begin publishing: %w", err)
	}
	p.state.Posts = make([]ContentPostOutcome, len(targets))
	pending := 0
	for i, t := range targets {
		p.state.Posts[i] = ContentPostOutcome{SocialAccountID: t.SocialAccountID, Status: t.Status, PostID: t.PostID, URL: t.URL, Error: t.Error}
		if !p.inScope(t.SocialAccountID) {
			continue
		}
		pending++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { pending-- }()
			p.state.Posts[i] = p.publishTarget(ctx, t)
		})
	}
	if err := workflow.Await(ctx, func() bool { return pending == 0 }); err != nil {
		return err
	}
	return p.finish(ctx)
}

// inScope reports whether this run posts on the account: every target,
// or those a RetryPublish named.
func (p *contentPublish) inScope(accountID string) bool {
	return len(p.in.SocialAccountIDs) == 0 || slices.Contains(p.in.SocialAccountIDs, accountID)
}

// finish sets the outcome over every target of the version on the
// content, tells the author and audits.
func (p *contentPublish) finish(ctx workflow.Context) error {
	published := 0
	for _, post := range p.state.Posts {
		if post.Status == enums.PostPublished {
			published++
		}
	}
	status := enums.ContentPartiallyPublished
	switch published {
	case 0:
		status = enums.ContentFailed
	case len(p.state.Posts):
		status = enums.ContentPublished
	}
	err := workflow.ExecuteActivity(activityOptions(ctx), p.acts.FinishPublishing, activities.FinishPublishingInput{
		OrganizationID: p.in.OrganizationID, ContentID: p.in.ContentID, Version: p.in.Version, AuthorUserID: p.in.AuthorUserID,
		Title: p.in.Title, Status: status, Published: published, Total: len(p.state.Posts)}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish publishing: %w", err)
	}
	p.state.Status = status
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(status)); err != nil {
		return fmt.Errorf("set status search attribute: %w", err)
	}
	return nil
}

// platformCallOptions run an activity that calls a platform exactly once:
// after a timeout only a lookup can tell whether the call took effect, so
// the workflow decides what follows, never the retry policy.
func platformCallOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: activityTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// publishTarget posts on one target and returns its outcome:
//   - the "publishing" row first (a published post is done; one left for
//     an operator stays so unless this is a RetryPublish);
//   - if an earlier attempt was interrupted, look the post up first;
//   - one platform call: 429 → wait Retry-After and call again; rejected →
//     failed; timeout or unavailable → look up: found → published, absent
//     → call once more, unknown → needs_attention.
func (p *contentPublish) publishTarget(ctx workflow.Context, t activities.PostTarget) ContentPostOutcome {
	out := ContentPostOutcome{SocialAccountID: t.SocialAccountID}
	var ticket activities.PostTicket
	err := workflow.ExecuteActivity(activityOptions(ctx), p.acts.BeginPost, activities.BeginPostInput{
		OrganizationID: p.in.OrganizationID, ContentID: p.in.ContentID, ContentVersionID: p.in.ContentVersionID,
		SocialAccountID: t.SocialAccountID, Platform: t.Platform, Retry: len(p.in.SocialAccountIDs) > 0}).Get(ctx, &ticket)
	if err != nil {
		out.Status, out.Error = enums.PostFailed, "could not start publishing: "+err.Error()
		return out
	}
	if !ticket.Publish {
		out.Status, out.PostID, out.URL, out.Error = ticket.Status, ticket.PostID, ticket.URL, ticket.Error
		return out
	}
	post := &targetPost{p: p, rowID: ticket.RowID, out: out}
	if ticket.MayExist && post.lookUp(ctx) {
		return post.out
	}
	return post.publish(ctx)
}

// targetPost is one target's post while its platform calls go on.
type targetPost struct {
	p     *contentPublish
	rowID string
	out   ContentPostOutcome
}

// publish calls the platform until the post is settled.
func (t *targetPost) publish(ctx workflow.Context) ContentPostOutcome {
	call := activities.PostCall{RowID: t.rowID}
	waits, republished := 0, false
	for {
		var done activities.PostDone
		err := workflow.ExecuteActivity(platformCallOptions(ctx), t.p.acts.PublishPost, call).Get(ctx, &done)
		if err == nil {
			t.out.Status, t.out.PostID, t.out.URL = enums.PostPublished, done.PostID, done.URL
			return t.out
		}
		var appErr *temporal.ApplicationError
		errors.As(err, &appErr)
		switch {
		case appErr != nil && appErr.Type() == activities.ErrPostRateLimited && waits < maxRateLimitWaits:
			waits++
			if err := workflow.Sleep(ctx, retryAfter(appErr)); err != nil {
				return t.settle(ctx, enums.PostFailed, "cancelled while waiting out the platform's rate limit")
			}
		case appErr != nil && appErr.Type() == activities.ErrPostRateLimited:
			return t.settle(ctx, enums.PostFailed, fmt.Sprintf("still rate limited after %d waits: %s", waits, appErr.Message()))
		case appErr != nil && appErr.Type() == activities.ErrPostRejected:
			return t.settle(ctx, enums.PostFailed, appErr.Message())
		default: // timed out, unavailable, or the worker died: did it post?
			if t.lookUp(ctx) {
				return t.out
			}
			if republished {
				return t.settle(ctx, enums.PostFailed, "the platform did not take the post twice: "+err.Error())
			}
			republished = true
		}
	}
}

// lookUp asks the platform for the post by its idempotency key. It
// reports true when the post is settled: found and recorded, or the answer
// unknown and the post left for an operator (needs_attention).
func (t *targetPost) lookUp(ctx workflow.Context) bool {
	var found activities.PostLookup
	err := workflow.ExecuteActivity(platformCallOptions(ctx), t.p.acts.LookupPost, activities.PostCall{RowID: t.rowID}).Get(ctx, &found)
	if err != nil {
		t.settle(ctx, enums.PostNeedsAttention, "the platform could not say whether the post exists; check the account before retrying: "+err.Error())
		return true
	}
	if !found.Found {
		return false
	}
	err = workflow.ExecuteActivity(activityOptions(ctx), t.p.acts.RecordPost, activities.RecordPostInput{RowID: t.rowID, Post: found.Post}).Get(ctx, nil)
	if err != nil {
		t.out.Status, t.out.Error = enums.PostNeedsAttention, "posted, but not recorded: "+err.Error()
		return true
	}
	t.out.Status, t.out.PostID, t.out.URL = enums.PostPublished, found.Post.PostID, found.Post.URL
	return true
}

// settle records a post that was not published as failed or needing
// attention, and returns its outcome.
func (t *targetPost) settle(ctx workflow.Context, status, reason string) ContentPostOutcome {
	t.out.Status, t.out.Error = status, reason
	err := workflow.ExecuteActivity(activityOptions(ctx), t.p.acts.MarkPost, activities.MarkPostInput{
		RowID: t.rowID, Status: status, Reason: reason}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("could not record the post's outcome", "row", t.rowID, "status", status, "error", err)
	}
	return t.out
}

// retryAfter is the wait a 429 asked for, at least minRateLimitWait.
func retryAfter(appErr *temporal.ApplicationError) time.Duration {
	var d time.Duration
	if appErr.HasDetails() {
		_ = appErr.Details(&d)
	}
	return max(d, minRateLimitWait)
}
