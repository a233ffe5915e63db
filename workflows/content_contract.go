package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The content contract: one approval run per content version
// (content-approval/<content id>/v<version>), from submission through its
// approval chain to the scheduled publish, which runs as a child workflow
// (content-publish/<content id>/v<version>) so an operator sees each
// posting attempt as its own run.
const (
	// ContentApprovalWorkflowName is the registered approval workflow type.
	ContentApprovalWorkflowName = "ContentApproval"
	// ContentPublishWorkflowName is the registered publishing workflow type.
	ContentPublishWorkflowName = "ContentPublish"

	// UpdateApprove, UpdateReject and UpdateRequestChanges are an
	// approver's vote on the current step (argument ContentVote); each
	// returns the ContentApprovalState after the vote.
	UpdateApprove        = "approve"
	UpdateReject         = "reject"
	UpdateRequestChanges = "request-changes"
	// UpdateRevise is an edit of content under review, rejected or
	// approved (argument ContentEdit): the run writes the next version,
	// starts that version's run and closes as superseded. It returns the
	// new version's ContentApprovalState.
	UpdateRevise = "revise"
	// UpdateReschedule moves the publish time (argument ContentReschedule).
	UpdateReschedule = "reschedule"
	// UpdateWithdraw is the author or an admin pulling the content
	// (argument ContentWithdrawal); assignments and the request close.
	UpdateWithdraw = "withdraw"
	// SignalAssigneesChanged asks the run to resolve the current step's
	// approvers again (a delegation or membership changed).
	SignalAssigneesChanged = "assignees-changed"
)

// Content statuses the approval and publishing runs report
// (content.workflow_status and ConveneStatus) are those of db/enums
// (enums.Content*); a run superseded by a newer version reports
// ContentSuperseded.
const ContentSuperseded = "superseded"

const (
	contentApprovalPrefix = "content-approval/"
	contentPublishPrefix  = "content-publish/"
)

// ContentApprovalWorkflowID is the approval run of one content version.
func ContentApprovalWorkflowID(contentID string, version int) string {
	return contentApprovalPrefix + contentID + "/v" + strconv.Itoa(version)
}

// ContentPublishWorkflowID is a publishing run of one content version;
// attempt 0 is the scheduled publish, later attempts are RetryPublish.
func ContentPublishWorkflowID(contentID string, version, attempt int) string {
	id := contentPublishPrefix + contentID + "/v" + strconv.Itoa(version)
	if attempt > 0 {
		id += "/retry-" + strconv.Itoa(attempt)
	}
	return id
}

// ContentVersionFromWorkflowID inverts ContentApprovalWorkflowID.
func ContentVersionFromWorkflowID(id string) (contentID string, version int, err error) {
	rest, ok := strings.CutPrefix(id, contentApprovalPrefix)
	if !ok {
		return "", 0, fmt.Errorf("%q is not a content approval workflow ID", id)
	}
	contentID, v, ok := strings.Cut(rest, "/v")
	if !ok || contentID == "" {
		return "", 0, fmt.Errorf("%q has no version", id)
	}
	version, err = strconv.Atoi(v)
	if err != nil || version < 1 {
		return "", 0, fmt.Errorf("%q has no valid version", id)
	}
	return contentID, version, nil
}

// ContentApprovalInput starts the approval run of one submitted version;
// the steps and everything else are read by its first activity.
type ContentApprovalInput struct {
	OrganizationID   string
	ContentID        string
	ContentVersionID string
	Version          int
	AuthorUserID     string
	// EventID is the content's event, if any (search attribute).
	EventID string
	// Title is for the run's summary ("title vN").
	Title string
}

// ContentVote is one approver's vote on one step of one version. Exactly
// one of ActorUserID and ExternalReviewLinkID is set.
type ContentVote struct {
	Version              int
	Step                 int
	ActorUserID          string
	ExternalReviewLinkID string
	Comment              string
}

// ContentEdit is an edit of the content's text, media, targets or
// schedule; ExpectedVersion must be the current version.
type ContentEdit struct {
	EditorUserID     string
	ExpectedVersion  int
	Title            string
	Caption          string
	Body             string
	Hashtags         []string
	MediaAssetIDs    []string
	SocialAccountIDs []string
	// ScheduledFor zero keeps the current schedule.
	ScheduledFor time.Time
}

// ContentReschedule moves the publish time of an approved or reviewed
// version.
type ContentReschedule struct {
	ActorUserID  string
	ScheduledFor time.Time
}

// ContentWithdrawal pulls the content out of review or off the schedule.
type ContentWithdrawal struct {
	ActorUserID string
	Reason      string
}

// ContentApprovalState is what the state query and every update return.
type ContentApprovalState struct {
	ContentID string
	Version   int
	// Status is one of enums.Content* or ContentSuperseded.
	Status      string
	CurrentStep int
	TotalSteps  int
	StepName    string
	// Approvals counts the current step's approvals; Needed is its quorum.
	Approvals int
	Needed    int
	// Assignees are the user IDs who may vote on the current step.
	Assignees []string
	// DueAt is the current step's SLA deadline.
	DueAt        time.Time
	ScheduledFor time.Time
	// SupersededBy is the version that replaced this one, if any.
	SupersededBy int
}

// ContentPublishInput starts a publishing run of an approved version.
type ContentPublishInput struct {
	OrganizationID   string
	ContentID        string
	ContentVersionID string
	Version          int
	AuthorUserID     string
	EventID          string
	Title            string
	// SocialAccountIDs limits the run to these targets (RetryPublish);
	// empty means every target of the version.
	SocialAccountIDs []string
}

// ContentPublishResult is a publishing run's outcome.
type ContentPublishResult struct {
	// Status is enums.ContentPublished, ContentPartiallyPublished or
	// ContentFailed.
	Status string
	Posts  []ContentPostOutcome
}

// ContentPostOutcome is one target's post.
type ContentPostOutcome struct {
	SocialAccountID string
	// Status is one of enums.Post*.
	Status string
	PostID string
	URL    string
	Error  string
}
