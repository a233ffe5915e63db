package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"go.temporal.io/sdk/client"
	tworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/workflows"
)

// contentBundle is an organization with an owner, two members and a ready
// media asset and active social account, plus a second organization
// whose owner is the outsider.
type contentBundle struct {
	a                          *testenv.API
	owner, author, other, outB testenv.Session
	org, orgB                  string
	media, account             string
}

func setupContent(t *testing.T) *contentBundle {
	t.Helper()
	a := setup(t)
	b := &contentBundle{a: a, owner: a.NewUser(t, newPhone()), author: a.NewUser(t, newPhone()),
		other: a.NewUser(t, newPhone()), outB: a.NewUser(t, newPhone())}
	b.org = createOrg(t, a, b.owner, "content-"+uuid.NewString()[:8]).GetId()
	b.orgB = createOrg(t, a, b.outB, "content-b-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, b.owner, b.org, b.author, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	addAndAccept(t, a, b.owner, b.org, b.other, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	b.media = insertMedia(t, a, b.org, enums.MediaReady)
	b.account = insertAccount(t, a, b.org, true)
	return b
}

// insertMedia stores a media asset of orgID in the given status straight
// in the database.
func insertMedia(t *testing.T, a *testenv.API, orgID, status string) string {
	t.Helper()
	m := &db.MediaAsset{ID: db.NewID(), OrganizationID: mustUUID(orgID), Filename: "a.png", FileType: "image",
		MimeType: "image/png", FileSize: 10, StorageKey: "media/test/" + db.NewID().String(), ProcessingStatus: status}
	require.NoError(t, db.InsertMediaAsset(context.Background(), a.DB, m))
	return m.ID.String()
}

// insertAccount stores a social account of orgID straight in the database.
func insertAccount(t *testing.T, a *testenv.API, orgID string, active bool) string {
	t.Helper()
	acc := &db.SocialAccount{ID: db.NewID(), OrganizationID: mustUUID(orgID), Platform: "x", PlatformUserID: db.NewID().String(),
		AccessTokenCiphertext: []byte{1}, TokenKeyID: "k1", IsActive: active}
	_, err := a.DB.NewInsert().Model(acc).Exec(context.Background())
	require.NoError(t, err)
	return acc.ID.String()
}

func (b *contentBundle) createTemplate(t *testing.T, name, title, body string) *contentv1.Template {
	t.Helper()
	resp, err := b.a.Content.CreateTemplate(context.Background(), testenv.As(b.owner, &contentv1.CreateTemplateRequest{
		OrganizationId: b.org, Name: name, ContentType: contentv1.ContentType_CONTENT_TYPE_POST, Title: title, Body: body}))
	require.NoError(t, err)
	return resp.Msg.GetTemplate()
}

func (b *contentBundle) createContent(t *testing.T, req *contentv1.CreateContentRequest) *contentv1.Content {
	t.Helper()
	req.OrganizationId = b.org
	resp, err := b.a.Content.CreateContent(context.Background(), testenv.As(b.author, req))
	require.NoError(t, err)
	return resp.Msg.GetContent()
}

// setStatus puts content in a status as a finished approval run would
// leave it.
func (b *contentBundle) setStatus(t *testing.T, contentID, status string) {
	t.Helper()
	_, err := b.a.DB.NewUpdate().Model((*db.Content)(nil)).Set("workflow_status = ?", status).Where("id = ?", contentID).Exec(context.Background())
	require.NoError(t, err)
}

func edit(body string, version int32, contentID string) *contentv1.UpdateContentRequest {
	return &contentv1.UpdateContentRequest{ContentId: contentID, ExpectedVersion: version, Title: "Doors open", Body: body}
}

func TestContent_TemplateDraftEditsVersionsAndDiff(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	tpl := b.createTemplate(t, "Launch", "{{event}} is here", "Join us at {{event}} on {{day}}.")
	assert.Equal(t, []string{"day", "event"}, tpl.GetVariables())
	at := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	c := b.createContent(t, &contentv1.CreateContentRequest{TemplateId: &tpl.Id,
		Variables: map[string]string{"event": "GopherCon", "day": "Friday"}, Hashtags: []string{"go"},
		MediaAssetIds: []string{b.media}, SocialAccountIds: []string{b.account}, ScheduledFor: timestamppb.New(at)})
	assert.Equal(t, contentv1.ContentStatus_CONTENT_STATUS_DRAFT, c.GetStatus())
	assert.Equal(t, contentv1.ContentType_CONTENT_TYPE_POST, c.GetContentType(), "the template's type")
	assert.Equal(t, "GopherCon is here", c.GetCurrent().GetTitle())
	assert.Equal(t, "Join us at GopherCon on Friday.", c.GetCurrent().GetBody())
	assert.Equal(t, []string{b.media}, c.GetCurrent().GetMediaAssetIds())
	assert.Equal(t, []string{b.account}, c.GetCurrent().GetSocialAccountIds())

	// A draft is edited in place.
	draftEdit := edit("Join us at GopherCon on Saturday.", 1, c.GetId())
	draftEdit.Hashtags = []string{"go", "gophers"}
	up, err := b.a.Content.UpdateContent(ctx, testenv.As(b.author, draftEdit))
	require.NoError(t, err)
	assert.EqualValues(t, 1, up.Msg.GetContent().GetCurrentVersion())
	assert.Empty(t, up.Msg.GetContent().GetCurrent().GetMediaAssetIds(), "an empty list clears")
	assert.True(t, at.Equal(up.Msg.GetContent().GetScheduledFor().AsTime()), "an unset schedule is kept")

	// Once a run has judged the version, an edit writes the next one as a draft.
	b.setStatus(t, c.GetId(), enums.ContentRejected)
	up, err = b.a.Content.UpdateContent(ctx, testenv.As(b.author, edit("Join us at GopherCon on Sunday.", 1, c.GetId())))
	require.NoError(t, err)
	assert.EqualValues(t, 2, up.Msg.GetContent().GetCurrentVersion())
	assert.Equal(t, contentv1.ContentStatus_CONTENT_STATUS_DRAFT, up.Msg.GetContent().GetStatus())
	_, err = b.a.Content.UpdateContent(ctx, testenv.As(b.author, edit("stale", 1, c.GetId())))
	testenv.RequireCode(t, err, connect.CodeAborted)
	_, err = b.a.Content.UpdateContent(ctx, testenv.As(b.other, edit("not mine", 2, c.GetId())))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	versions, err := b.a.Content.ListContentVersions(ctx, testenv.As(b.other, &contentv1.ListContentVersionsRequest{ContentId: c.GetId()}))
	require.NoError(t, err)
	require.Len(t, versions.Msg.GetVersions(), 2)
	assert.Equal(t, "Join us at GopherCon on Saturday.", versions.Msg.GetVersions()[0].GetBody())

	diff, err := b.a.Content.DiffContentVersions(ctx, testenv.As(b.other, &contentv1.DiffContentVersionsRequest{ContentId: c.GetId(), FromVersion: 1, ToVersion: 2}))
	require.NoError(t, err)
	require.Len(t, diff.Msg.GetFields(), 4)
	body := diff.Msg.GetFields()[2]
	assert.Equal(t, contentv1.DiffField_DIFF_FIELD_BODY, body.GetField())
	var ops []string
	for _, op := range body.GetOps() {
		ops = append(ops, op.GetOp().String()+":"+op.GetText())
	}
	assert.Equal(t, []string{"DIFF_OP_TYPE_EQUAL:Join us at GopherCon on ", "DIFF_OP_TYPE_DELETE:Saturday.", "DIFF_OP_TYPE_INSERT:Sunday."}, ops)
	hashtags := diff.Msg.GetFields()[3].GetOps()
	require.Len(t, hashtags, 1, "the hashtags were cleared")
	assert.Equal(t, contentv1.DiffOpType_DIFF_OP_TYPE_DELETE, hashtags[0].GetOp())
	assert.Equal(t, "go gophers", hashtags[0].GetText())
	_, err = b.a.Content.DiffContentVersions(ctx, testenv.As(b.other, &contentv1.DiffContentVersionsRequest{ContentId: c.GetId(), FromVersion: 1, ToVersion: 3}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	templates, err := b.a.Content.ListTemplates(ctx, testenv.As(b.other, &contentv1.ListTemplatesRequest{OrganizationId: b.org}))
	require.NoError(t, err)
	require.Len(t, templates.Msg.GetTemplates(), 1)
	assert.EqualValues(t, 1, templates.Msg.GetTemplates()[0].GetUsageCount())
	audits, err := db.AuditLogsFor(ctx, b.a.DB, "content", c.GetId())
	require.NoError(t, err)
	assert.Len(t, audits, 3, "create, edit, new version")
}

func TestContent_FiveConcurrentEditsOfOneVersionMakeOneNewVersion(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	c := b.createContent(t, &contentv1.CreateContentRequest{ContentType: contentv1.ContentType_CONTENT_TYPE_POST, Title: "t"})
	b.setStatus(t, c.GetId(), enums.ContentChangesRequested)
	codes := make([]connect.Code, 5)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			_, err := b.a.Content.UpdateContent(ctx, testenv.As(b.author, edit("edit", 1, c.GetId())))
			if err != nil {
				codes[i] = connect.CodeOf(err)
			}
		})
	}
	wg.Wait()
	oks, aborted := 0, 0
	for _, code := range codes {
		switch code {
		case codeOK:
			oks++
		case connect.CodeAborted:
			aborted++
		}
	}
	assert.Equal(t, 1, oks, "codes %v", codes)
	assert.Equal(t, 4, aborted, "codes %v", codes)
	n, err := b.a.DB.NewSelect().Model((*db.ContentVersion)(nil)).Where("content_id = ?", c.GetId()).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
}

// TestContent_EditUnderReviewGoesToTheApprovalRun stands in for the
// approval run with a stub that takes the revise update, so this side of
// the contract is checked without the ContentApproval workflow (the
// approvals helper's; its own tests cover the run's side).
func TestContent_EditUnderReviewGoesToTheApprovalRun(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	c := b.createContent(t, &contentv1.CreateContentRequest{ContentType: contentv1.ContentType_CONTENT_TYPE_POST, Title: "t"})
	b.setStatus(t, c.GetId(), enums.ContentInReview)
	queue := "stub-" + uuid.NewString()
	w := tworker.New(b.a.Temporal, queue, tworker.Options{})
	w.RegisterWorkflowWithOptions(stubApprovalRun, workflow.RegisterOptions{Name: "StubApproval-" + queue})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	run, err := b.a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ContentApprovalWorkflowID(c.GetId(), 1),
		TaskQueue: queue}, "StubApproval-"+queue)
	require.NoError(t, err)

	req := edit("revised", 1, c.GetId())
	req.SocialAccountIds = []string{b.account}
	_, err = b.a.Content.UpdateContent(ctx, testenv.As(b.author, req))
	require.NoError(t, err)
	var got workflows.ContentEdit
	require.NoError(t, run.Get(ctx, &got))
	assert.Equal(t, b.author.UserID, got.EditorUserID)
	assert.Equal(t, 1, got.ExpectedVersion)
	assert.Equal(t, "revised", got.Body)
	assert.Equal(t, []string{b.account}, got.SocialAccountIDs)

	// The run has closed: the next edit of version 1 is a draft version 2.
	up, err := b.a.Content.UpdateContent(ctx, testenv.As(b.author, edit("after the run", 1, c.GetId())))
	require.NoError(t, err)
	assert.EqualValues(t, 2, up.Msg.GetContent().GetCurrentVersion())
	assert.Equal(t, contentv1.ContentStatus_CONTENT_STATUS_DRAFT, up.Msg.GetContent().GetStatus())

	req.SocialAccountIds = []string{insertAccount(t, b.a, b.orgB, true)}
	req.ExpectedVersion = 2
	_, err = b.a.Content.UpdateContent(ctx, testenv.As(b.author, req))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

// stubApprovalRun takes one revise update and returns its edit.
func stubApprovalRun(ctx workflow.Context) (workflows.ContentEdit, error) {
	var got workflows.ContentEdit
	done := false
	if err := workflow.SetUpdateHandler(ctx, workflows.UpdateRevise, func(_ workflow.Context, e workflows.ContentEdit) (workflows.ContentApprovalState, error) {
		got, done = e, true
		return workflows.ContentApprovalState{Version: e.ExpectedVersion + 1}, nil
	}); err != nil {
		return got, err
	}
	err := workflow.Await(ctx, func() bool { return done })
	return got, err
}

func TestContent_FiftyConcurrentUsesOfATemplateCountFifty(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	tpl := b.createTemplate(t, "Rush", "{{n}}", "")
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = b.a.Content.CreateContent(ctx, testenv.As(b.author, &contentv1.CreateContentRequest{
				OrganizationId: b.org, TemplateId: &tpl.Id, Variables: map[string]string{"n": "x"}}))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got := &db.ContentTemplate{}
	require.NoError(t, b.a.DB.NewSelect().Model(got).Where("id = ?", tpl.GetId()).Scan(ctx))
	assert.Equal(t, 50, got.UsageCount)
	n, err := b.a.DB.NewSelect().Model((*db.Content)(nil)).Where("template_id = ?", tpl.GetId()).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 50, n)
}

func TestContent_BadReferencesAreRefusedNamingTheField(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	tpl := b.createTemplate(t, "T", "{{a}}", "")
	foreignTpl, err := b.a.Content.CreateTemplate(ctx, testenv.As(b.outB, &contentv1.CreateTemplateRequest{
		OrganizationId: b.orgB, Name: "B", ContentType: contentv1.ContentType_CONTENT_TYPE_POST}))
	require.NoError(t, err)
	post := contentv1.ContentType_CONTENT_TYPE_POST
	tests := []struct {
		name, field string
		req         *contentv1.CreateContentRequest
	}{
		{"foreign media", "media_asset_ids", &contentv1.CreateContentRequest{ContentType: post, MediaAssetIds: []string{insertMedia(t, b.a, b.orgB, enums.MediaReady)}}},
		{"pending media", "media_asset_ids", &contentv1.CreateContentRequest{ContentType: post, MediaAssetIds: []string{insertMedia(t, b.a, b.org, enums.MediaPending)}}},
		{"foreign account", "social_account_ids", &contentv1.CreateContentRequest{ContentType: post, SocialAccountIds: []string{insertAccount(t, b.a, b.orgB, true)}}},
		{"inactive account", "social_account_ids", &contentv1.CreateContentRequest{ContentType: post, SocialAccountIds: []string{insertAccount(t, b.a, b.org, false)}}},
		{"foreign template", "template_id", &contentv1.CreateContentRequest{TemplateId: &foreignTpl.Msg.Template.Id}},
		{"missing variable", "variables", &contentv1.CreateContentRequest{TemplateId: &tpl.Id}},
		{"unknown variable", "variables", &contentv1.CreateContentRequest{TemplateId: &tpl.Id, Variables: map[string]string{"a": "1", "b": "2"}}},
		{"variables without template", "variables", &contentv1.CreateContentRequest{ContentType: post, Variables: map[string]string{"a": "1"}}},
		{"past schedule", "scheduled_for", &contentv1.CreateContentRequest{ContentType: post, ScheduledFor: timestamppb.New(time.Now().Add(-time.Hour))}},
		{"foreign campaign", "campaign_id", &contentv1.CreateContentRequest{ContentType: post, CampaignId: &b.createForeignCampaign(t).Id}},
	}
	for _, tc := range tests {
		tc.req.OrganizationId = b.org
		_, err := b.a.Content.CreateContent(ctx, testenv.As(b.author, tc.req))
		testenv.RequireCode(t, err, connect.CodeInvalidArgument)
		assert.Contains(t, err.Error(), tc.field, tc.name)
	}
	n, err := b.a.DB.NewSelect().Model((*db.Content)(nil)).Where("organization_id = ?", b.org).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing was written")
	got := &db.ContentTemplate{}
	require.NoError(t, b.a.DB.NewSelect().Model(got).Where("id = ?", tpl.GetId()).Scan(ctx))
	assert.Zero(t, got.UsageCount, "a refused use is not counted")

	_, err = b.a.Content.CreateContent(ctx, testenv.As(b.outB, &contentv1.CreateContentRequest{OrganizationId: b.org, ContentType: post}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = b.a.Content.CreateTemplate(ctx, testenv.As(b.author, &contentv1.CreateTemplateRequest{OrganizationId: b.org, Name: "M", ContentType: post}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = b.a.Content.CreateTemplate(ctx, testenv.As(b.owner, &contentv1.CreateTemplateRequest{OrganizationId: b.org, Name: "t", ContentType: post}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
}

func (b *contentBundle) createForeignCampaign(t *testing.T) *contentv1.Campaign {
	t.Helper()
	now := time.Now()
	resp, err := b.a.Campaigns.CreateCampaign(context.Background(), testenv.As(b.outB, &contentv1.CreateCampaignRequest{
		OrganizationId: b.orgB, Name: "B's", CampaignType: contentv1.CampaignType_CAMPAIGN_TYPE_AWARENESS,
		StartDate: timestamppb.New(now), EndDate: timestamppb.New(now.Add(time.Hour))}))
	require.NoError(t, err)
	return resp.Msg.GetCampaign()
}

func TestContent_ListSearchGetAndDelete(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	post := contentv1.ContentType_CONTENT_TYPE_POST
	gala := b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, Title: "Gala dinner", Body: "black tie gala"})
	b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, Title: "Workshop", Body: "bring a laptop"})
	b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, Title: "Gala photos", Caption: "after the gala"})

	list := func(req *contentv1.ListContentRequest) ([]string, string) {
		req.OrganizationId = b.org
		resp, err := b.a.Content.ListContent(ctx, testenv.As(b.other, req))
		require.NoError(t, err)
		var titles []string
		for _, c := range resp.Msg.GetContent() {
			titles = append(titles, c.GetCurrent().GetTitle())
		}
		return titles, resp.Msg.GetNextPageToken()
	}
	titles, next := list(&contentv1.ListContentRequest{PageSize: 2})
	assert.Equal(t, []string{"Gala photos", "Workshop"}, titles, "newest first")
	titles, next = list(&contentv1.ListContentRequest{PageSize: 2, PageToken: next})
	assert.Equal(t, []string{"Gala dinner"}, titles)
	assert.Empty(t, next)

	titles, next = list(&contentv1.ListContentRequest{Query: "gala", PageSize: 1})
	require.Len(t, titles, 1)
	more, _ := list(&contentv1.ListContentRequest{Query: "gala", PageSize: 1, PageToken: next})
	assert.ElementsMatch(t, []string{"Gala dinner", "Gala photos"}, append(titles, more...))
	titles, _ = list(&contentv1.ListContentRequest{Query: "laptop -gala"})
	assert.Equal(t, []string{"Workshop"}, titles)

	got, err := b.a.Content.GetContent(ctx, testenv.As(b.other, &contentv1.GetContentRequest{ContentId: gala.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, "black tie gala", got.Msg.GetContent().GetCurrent().GetBody())
	_, err = b.a.Content.GetContent(ctx, testenv.As(b.outB, &contentv1.GetContentRequest{ContentId: gala.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	_, err = b.a.Content.DeleteContent(ctx, testenv.As(b.other, &contentv1.DeleteContentRequest{ContentId: gala.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	for _, status := range []string{enums.ContentPublishing, enums.ContentInReview, enums.ContentScheduled} {
		b.setStatus(t, gala.GetId(), status)
		_, err = b.a.Content.DeleteContent(ctx, testenv.As(b.author, &contentv1.DeleteContentRequest{ContentId: gala.GetId()}))
		testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	}
	b.setStatus(t, gala.GetId(), enums.ContentPublished)
	_, err = b.a.Content.UpdateContent(ctx, testenv.As(b.author, edit("too late", 1, gala.GetId())))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = b.a.Content.DeleteContent(ctx, testenv.As(b.owner, &contentv1.DeleteContentRequest{ContentId: gala.GetId()}))
	require.NoError(t, err)
	_, err = b.a.Content.GetContent(ctx, testenv.As(b.other, &contentv1.GetContentRequest{ContentId: gala.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	titles, _ = list(&contentv1.ListContentRequest{Query: "gala"})
	assert.Equal(t, []string{"Gala photos"}, titles)
}

func TestCampaigns_ManagersWriteMembersReadReportSums(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	start := time.Now().Truncate(time.Second)
	create := &contentv1.CreateCampaignRequest{OrganizationId: b.org, Name: "Launch week",
		CampaignType: contentv1.CampaignType_CAMPAIGN_TYPE_PROMOTION, StartDate: timestamppb.New(start),
		EndDate: timestamppb.New(start.Add(7 * 24 * time.Hour)), TargetPlatforms: []string{"x"}}
	_, err := b.a.Campaigns.CreateCampaign(ctx, testenv.As(b.author, create))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	created, err := b.a.Campaigns.CreateCampaign(ctx, testenv.As(b.owner, create))
	require.NoError(t, err)
	cmp := created.Msg.GetCampaign()
	assert.Equal(t, contentv1.CampaignStatus_CAMPAIGN_STATUS_DRAFT, cmp.GetStatus())

	active := contentv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE
	up, err := b.a.Campaigns.UpdateCampaign(ctx, testenv.As(b.owner, &contentv1.UpdateCampaignRequest{CampaignId: cmp.GetId(), Status: &active}))
	require.NoError(t, err)
	assert.Equal(t, active, up.Msg.GetCampaign().GetStatus())
	assert.Equal(t, "Launch week", up.Msg.GetCampaign().GetName(), "unset fields stay")
	_, err = b.a.Campaigns.UpdateCampaign(ctx, testenv.As(b.owner, &contentv1.UpdateCampaignRequest{CampaignId: cmp.GetId(),
		EndDate: timestamppb.New(start.Add(-time.Hour))}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = b.a.Campaigns.GetCampaign(ctx, testenv.As(b.outB, &contentv1.GetCampaignRequest{CampaignId: cmp.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	// Two published posts with two measurements each (the latest counts),
	// one failed post, and three comments.
	post := contentv1.ContentType_CONTENT_TYPE_POST
	c1 := b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, CampaignId: &cmp.Id, Title: "one"})
	c2 := b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, CampaignId: &cmp.Id, Title: "two"})
	b.setStatus(t, c1.GetId(), enums.ContentPublished)
	p1 := insertPostOf(t, b, c1.GetId(), enums.PostPublished)
	p2 := insertPostOf(t, b, c2.GetId(), enums.PostPublished)
	insertPostOf(t, b, c1.GetId(), enums.PostFailed)
	for i, p := range []uuid.UUID{p1, p1, p2, p2} {
		m := &db.EngagementMetric{ID: db.NewID(), OrganizationID: mustUUID(b.org), PublishedPostID: p, Platform: "x",
			Impressions: int64(100 * (i + 1)), Likes: int64(i + 1), MeasuredAt: time.Now().Add(time.Duration(i) * time.Minute)}
		_, err := b.a.DB.NewInsert().Model(m).Exec(ctx)
		require.NoError(t, err)
	}
	for i, label := range []string{"positive", "positive", "negative"} {
		s := &db.SentimentAnalysis{ID: db.NewID(), OrganizationID: mustUUID(b.org), PublishedPostID: &p1, Platform: "x",
			PlatformCommentID: uuid.NewString(), TextContent: "c", Sentiment: label, ScoreBps: 0, Entities: []any{},
			Keywords: []string{}, CommentedAt: time.Now().Add(-time.Duration(i) * time.Minute), AnalyzedAt: time.Now()}
		_, err := b.a.DB.NewInsert().Model(s).Exec(ctx)
		require.NoError(t, err)
	}
	rep, err := b.a.Campaigns.GetCampaignReport(ctx, testenv.As(b.author, &contentv1.GetCampaignReportRequest{CampaignId: cmp.GetId()}))
	require.NoError(t, err)
	r := rep.Msg.GetReport()
	assert.EqualValues(t, 2, r.GetPostsPublished())
	assert.EqualValues(t, 1, r.GetPostsFailed())
	assert.EqualValues(t, 200+400, r.GetMetrics().GetImpressions(), "the latest measurement of each post")
	assert.EqualValues(t, 2+4, r.GetMetrics().GetLikes())
	assert.EqualValues(t, 100, r.GetMetrics().GetEngagementRateBps())
	assert.EqualValues(t, 2, r.GetSentiment().GetPositive())
	assert.EqualValues(t, 1, r.GetSentiment().GetNegative())
	assert.Len(t, r.GetContentByStatus(), 2)

	_, err = b.a.Campaigns.ArchiveCampaign(ctx, testenv.As(b.owner, &contentv1.ArchiveCampaignRequest{CampaignId: cmp.GetId()}))
	require.NoError(t, err)
	_, err = b.a.Campaigns.UpdateCampaign(ctx, testenv.As(b.owner, &contentv1.UpdateCampaignRequest{CampaignId: cmp.GetId(), Status: &active}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	list, err := b.a.Campaigns.ListCampaigns(ctx, testenv.As(b.author, &contentv1.ListCampaignsRequest{OrganizationId: b.org}))
	require.NoError(t, err)
	assert.Empty(t, list.Msg.GetCampaigns(), "archived campaigns are not listed")
	got, err := b.a.Campaigns.GetCampaign(ctx, testenv.As(b.author, &contentv1.GetCampaignRequest{CampaignId: cmp.GetId()}))
	require.NoError(t, err)
	assert.NotNil(t, got.Msg.GetCampaign().GetArchivedAt())
}

// insertPostOf records a post of a content's current version on a fresh
// account, straight in the database.
func insertPostOf(t *testing.T, b *contentBundle, contentID, status string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	v, err := db.ContentVersionOf(ctx, b.a.DB, mustUUID(contentID), 1)
	require.NoError(t, err)
	p := &db.PublishedPost{ID: db.NewID(), OrganizationID: mustUUID(b.org), ContentID: v.ContentID, ContentVersionID: v.ID,
		SocialAccountID: mustUUID(insertAccount(t, b.a, b.org, true)), Platform: "x", IdempotencyKey: db.NewID().String(),
		PublishedContent: map[string]any{}, PublishStatus: status}
	if status == enums.PostPublished {
		id, at := "p-"+p.ID.String(), time.Now()
		p.PlatformPostID, p.PublishedAt = &id, &at
	}
	_, err = b.a.DB.NewInsert().Model(p).Exec(ctx)
	require.NoError(t, err)
	return p.ID
}
