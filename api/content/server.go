// Package content serves convene.content.v1, the content operations of
// issue 10: campaigns and their reports (CampaignService), versioned
// content, templates and media (ContentService), approval chains, votes,
// the approvers' inbox and external review links (ApprovalService),
// connected social accounts and their posts' metrics (SocialService), and
// what content about an event draws on: its social profile, delegates,
// phases and comment sentiment (EventContentService).
//
// Each server embeds its generated Unimplemented handler, so that every
// RPC not written yet answers CodeUnimplemented while the handlers are
// filled in file by file; an embedding goes once its service is complete.
package content

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/blob"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/jobs/workflowstart"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
)

// Deps is what the content handlers use. Every field is required.
type Deps struct {
	DB *db.DB
	// Temporal runs the content-approval workflows and sends them the
	// approvers' votes and the authors' edits.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the jobs that follow
	// them (media processing, workflow starts that must not be lost).
	River *river.Client[*sql.Tx]
	// TaskQueue is where the content workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// PublicURL is the API's base URL as clients and platforms reach it
	// (OAuth redirects, media URLs).
	PublicURL string
	// Social are the platforms accounts can be connected on; SocialTokens
	// seals their tokens. SocialSandbox, set in dev only, serves the
	// sandbox platforms' consent pages.
	Social        *social.Registry
	SocialTokens  *secretbox.Box
	SocialSandbox *social.Sandbox
	// Blob stores uploaded media; Uploads signs and checks upload URLs.
	Blob    blob.Store
	Uploads *blob.Signer
}

// campaignServer implements convene.content.v1.CampaignService
// (campaigns.go).
type campaignServer struct {
	Deps
}

// contentServer implements convene.content.v1.ContentService.
type contentServer struct {
	Deps
	contentv1connect.UnimplementedContentServiceHandler
	// starts makes the approval and publish runs' direct starts after commit.
	starts *workflowstart.Starter
}

// approvalServer implements convene.content.v1.ApprovalService.
type approvalServer struct {
	Deps
	contentv1connect.UnimplementedApprovalServiceHandler
}

// socialServer implements convene.content.v1.SocialService.
type socialServer struct {
	Deps
	contentv1connect.UnimplementedSocialServiceHandler
}

// eventContentServer implements convene.content.v1.EventContentService.
type eventContentServer struct {
	Deps
	contentv1connect.UnimplementedEventContentServiceHandler
}

// NewCampaignServer returns the CampaignService handler.
func NewCampaignServer(d Deps) contentv1connect.CampaignServiceHandler {
	return &campaignServer{Deps: d}
}

// NewContentServer returns the ContentService handler.
func NewContentServer(d Deps) contentv1connect.ContentServiceHandler {
	return &contentServer{Deps: d, starts: workflowstart.NewStarter(d.Temporal, d.TaskQueue, d.River, d.Log)}
}

// NewApprovalServer returns the ApprovalService handler.
func NewApprovalServer(d Deps) contentv1connect.ApprovalServiceHandler {
	return &approvalServer{Deps: d}
}

// NewSocialServer returns the SocialService handler.
func NewSocialServer(d Deps) contentv1connect.SocialServiceHandler {
	return &socialServer{Deps: d}
}

// NewEventContentServer returns the EventContentService handler.
func NewEventContentServer(d Deps) contentv1connect.EventContentServiceHandler {
	return &eventContentServer{Deps: d}
}

// Domain lists the five content services for the server to mount. An
// external reviewer has no account: GetExternalReview and
// ActAsExternalReviewer are authorized by the review link's token alone,
// so they need no access token. Uploads, stored media and social
// connections also need plain routes: mediaRoutes, and socialRoutes (the
// OAuth callback and, in dev, the sandbox consent pages).
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{Routes: append(mediaRoutes(d), socialRoutes(d)...), Services: []rpc.Service{
		rpc.NewService(contentv1connect.CampaignServiceName, NewCampaignServer(d),
			contentv1connect.NewCampaignServiceHandler),
		rpc.NewService(contentv1connect.ContentServiceName, NewContentServer(d),
			contentv1connect.NewContentServiceHandler),
		rpc.NewService(contentv1connect.ApprovalServiceName, NewApprovalServer(d),
			contentv1connect.NewApprovalServiceHandler,
			contentv1connect.ApprovalServiceGetExternalReviewProcedure,
			contentv1connect.ApprovalServiceActAsExternalReviewerProcedure),
		rpc.NewService(contentv1connect.SocialServiceName, NewSocialServer(d),
			contentv1connect.NewSocialServiceHandler),
		rpc.NewService(contentv1connect.EventContentServiceName, NewEventContentServer(d),
			contentv1connect.NewEventContentServiceHandler),
	}}
}
