package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// eventContentFixture is an event of an organization, its owner, a plain
// member, and an outsider with an organization of their own.
type eventContentFixture struct {
	a                      *testenv.API
	svc                    contentv1connect.EventContentServiceClient
	owner, member, outside testenv.Session
	org                    string
	event                  string
	start                  time.Time
}

func setupEventContent(t *testing.T) *eventContentFixture {
	t.Helper()
	a := setup(t)
	f := &eventContentFixture{a: a, svc: contentv1connect.NewEventContentServiceClient(a.HTTP, a.URL),
		owner: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone()), outside: a.NewUser(t, newPhone())}
	f.org = createOrg(t, a, f.owner, "evc-"+uuid.NewString()[:8]).GetId()
	createOrg(t, a, f.outside, "evc-b-"+uuid.NewString()[:8])
	addAndAccept(t, a, f.owner, f.org, f.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	ev := createEvent(t, a, f.owner, eventInput(a, func(in *eventsv1.EventInput) { in.OrganizationId = proto.String(f.org) }))
	f.event, f.start = ev.GetId(), ev.GetStartsAt().AsTime()
	return f
}

func TestEventContent_SocialProfile(t *testing.T) {
	f := setupEventContent(t)
	ctx := context.Background()
	set := func(s testenv.Session, event string, hashtags ...string) (*contentv1.SetEventSocialProfileResponse, error) {
		resp, err := f.svc.SetEventSocialProfile(ctx, testenv.As(s, &contentv1.SetEventSocialProfileRequest{EventId: event,
			SocialHandles: map[string]string{"x": "@convene", "instagram": "convene.live"}, OfficialHashtags: hashtags}))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}

	got, err := set(f.owner, f.event, "Convene2026", "sunsetjam")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"x": "@convene", "instagram": "convene.live"}, got.GetSocialHandles())
	assert.Equal(t, []string{"Convene2026", "sunsetjam"}, got.GetOfficialHashtags())
	stored, err := db.EventSocialProfileOf(ctx, f.a.DB, mustUUID(f.event))
	require.NoError(t, err)
	assert.Equal(t, []string{"Convene2026", "sunsetjam"}, stored.OfficialHashtags)

	_, err = set(f.outside, f.event, "hijack")
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = set(f.member, f.event, "hijack")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = set(f.owner, f.event, "not a tag")
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	stored, err = db.EventSocialProfileOf(ctx, f.a.DB, mustUUID(f.event))
	require.NoError(t, err)
	assert.Equal(t, []string{"Convene2026", "sunsetjam"}, stored.OfficialHashtags, "refusals change nothing")

	own := createEvent(t, f.a, f.outside, eventInput(f.a))
	_, err = set(f.outside, own.GetId(), "mine")
	require.NoError(t, err, "the host of an event without organization sets its profile")
}

func (f *eventContentFixture) createDelegate(t *testing.T, first, last, designation string, tier int32) *contentv1.Delegate {
	t.Helper()
	resp, err := f.svc.CreateDelegate(context.Background(), testenv.As(f.owner, &contentv1.CreateDelegateRequest{EventId: f.event,
		FirstName: first, LastName: last, Designation: designation, DelegateType: contentv1.DelegateType_DELEGATE_TYPE_SPEAKER,
		VipTier: tier, Country: "IN"}))
	require.NoError(t, err)
	return resp.Msg.GetDelegate()
}

// searchAll pages through SearchDelegates one row at a time and returns
// the last names in order.
func (f *eventContentFixture) searchAll(t *testing.T, s testenv.Session, query string, minTier int32) []string {
	t.Helper()
	var names []string
	req := &contentv1.SearchDelegatesRequest{EventId: f.event, Query: query, MinVipTier: minTier, PageSize: 1}
	for range 10 {
		resp, err := f.svc.SearchDelegates(context.Background(), testenv.As(s, req))
		require.NoError(t, err)
		for _, d := range resp.Msg.GetDelegates() {
			names = append(names, d.GetLastName())
		}
		if req.PageToken = resp.Msg.GetNextPageToken(); req.PageToken == "" {
			return names
		}
	}
	t.Fatal("paging did not end")
	return nil
}

func TestEventContent_Delegates(t *testing.T) {
	f := setupEventContent(t)
	ctx := context.Background()
	minister := f.createDelegate(t, "Asha", "Rao", "Minister of Culture", 5)
	f.createDelegate(t, "Ben", "Okafor", "Culture editor, Daily Sun", 2)
	f.createDelegate(t, "Chen", "Li", "Founder", 0)
	assert.Equal(t, contentv1.DelegateType_DELEGATE_TYPE_SPEAKER, minister.GetDelegateType())

	assert.Equal(t, []string{"Li", "Okafor", "Rao"}, f.searchAll(t, f.member, "", 0), "by last name without a query")
	assert.Equal(t, []string{"Okafor", "Rao"}, f.searchAll(t, f.member, "", 2))
	culture := f.searchAll(t, f.member, "culture", 0)
	assert.ElementsMatch(t, []string{"Rao", "Okafor"}, culture, "full text over designation")
	assert.Equal(t, []string{"Rao"}, f.searchAll(t, f.member, "minister culture", 0), "every word must match")
	assert.Empty(t, f.searchAll(t, f.member, "astronaut", 0))

	_, err := f.svc.SearchDelegates(ctx, testenv.As(f.outside, &contentv1.SearchDelegatesRequest{EventId: f.event}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = f.svc.CreateDelegate(ctx, testenv.As(f.member, &contentv1.CreateDelegateRequest{EventId: f.event, FirstName: "X",
		DelegateType: contentv1.DelegateType_DELEGATE_TYPE_GUEST}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = f.svc.CreateDelegate(ctx, testenv.As(f.outside, &contentv1.CreateDelegateRequest{EventId: f.event, FirstName: "X",
		DelegateType: contentv1.DelegateType_DELEGATE_TYPE_GUEST}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	update := func(s testenv.Session, tier int32) (*contentv1.Delegate, error) {
		resp, err := f.svc.UpdateDelegate(ctx, testenv.As(s, &contentv1.UpdateDelegateRequest{DelegateId: minister.GetId(),
			VipTier: proto.Int32(tier), Designation: proto.String("Minister of Culture and Tourism")}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetDelegate(), nil
	}
	_, err = update(f.outside, 0)
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = update(f.member, 0)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	assert.Equal(t, []string{"Rao"}, f.searchAll(t, f.owner, "", 5), "refusals change nothing")
	updated, err := update(f.owner, 1)
	require.NoError(t, err)
	assert.Equal(t, int32(1), updated.GetVipTier())
	assert.Equal(t, "Asha", updated.GetFirstName(), "unset fields stay")
	assert.Equal(t, []string{"Rao"}, f.searchAll(t, f.owner, "tourism", 0), "the search follows the update")
	assert.Empty(t, f.searchAll(t, f.owner, "", 5))

	_, err = f.svc.SearchDelegates(ctx, testenv.As(f.owner, &contentv1.SearchDelegatesRequest{EventId: f.event, PageToken: "bogus"}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

func TestEventContent_Phases(t *testing.T) {
	f := setupEventContent(t)
	ctx := context.Background()
	create := func(s testenv.Session, name string, from, to time.Duration) (*contentv1.EventPhase, error) {
		resp, err := f.svc.CreatePhase(ctx, testenv.As(s, &contentv1.CreatePhaseRequest{EventId: f.event, Name: name,
			StartsAt: timestamppb.New(f.start.Add(from)), EndsAt: timestamppb.New(f.start.Add(to))}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetPhase(), nil
	}
	day2, err := create(f.owner, "Day 2", 24*time.Hour, 32*time.Hour)
	require.NoError(t, err)
	_, err = create(f.owner, "Day 1", 0, 24*time.Hour)
	require.NoError(t, err, "a phase may end where the next starts")

	_, err = create(f.owner, "Overlap", 30*time.Hour, 40*time.Hour)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "starts_at")
	_, err = create(f.owner, "Backwards", 50*time.Hour, 40*time.Hour)
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = create(f.member, "Mine", 50*time.Hour, 60*time.Hour)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = create(f.outside, "Theirs", 50*time.Hour, 60*time.Hour)
	testenv.RequireCode(t, err, connect.CodeNotFound)

	resp, err := f.svc.ListPhases(ctx, testenv.As(f.member, &contentv1.ListPhasesRequest{EventId: f.event}))
	require.NoError(t, err)
	var names []string
	for _, p := range resp.Msg.GetPhases() {
		names = append(names, p.GetName())
	}
	assert.Equal(t, []string{"Day 1", "Day 2"}, names, "in time order, refused ones absent")
	assert.True(t, day2.GetStartsAt().AsTime().Equal(resp.Msg.GetPhases()[1].GetStartsAt().AsTime()))
	_, err = f.svc.ListPhases(ctx, testenv.As(f.outside, &contentv1.ListPhasesRequest{EventId: f.event}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
}

// analysed writes one analysed comment on the event's post.
func analysed(t *testing.T, f *eventContentFixture, post *uuid.UUID, event, sentiment string, score int, at time.Time, keywords ...string) {
	t.Helper()
	keywords = append([]string{}, keywords...)
	row := &db.SentimentAnalysis{ID: db.NewID(), OrganizationID: mustUUID(f.org), PublishedPostID: post, EventID: db.OptionalID(event),
		Platform: "x", PlatformCommentID: uuid.NewString(), TextContent: "…", Sentiment: sentiment, ScoreBps: score,
		Entities: []any{}, Keywords: keywords, CommentedAt: at, AnalyzedAt: at}
	_, err := f.a.DB.NewInsert().Model(row).Exec(context.Background())
	require.NoError(t, err)
}

// postOf writes a published post of the organization for the event.
func postOf(t *testing.T, f *eventContentFixture) uuid.UUID {
	t.Helper()
	org := mustUUID(f.org)
	acct := &db.SocialAccount{ID: db.NewID(), OrganizationID: org, Platform: "x", PlatformUserID: uuid.NewString(),
		AccessTokenCiphertext: []byte{1}, TokenKeyID: "k", IsActive: true}
	c := &db.Content{ID: db.NewID(), OrganizationID: org, AuthorUserID: mustUUID(f.owner.UserID), ContentType: "post",
		CurrentVersion: 1, WorkflowStatus: enums.ContentPublished, ApprovalRequired: true, EventID: db.OptionalID(f.event)}
	v := &db.ContentVersion{ID: db.NewID(), ContentID: c.ID, OrganizationID: org, Version: 1, Hashtags: []string{}}
	p := &db.PublishedPost{ID: db.NewID(), OrganizationID: org, ContentID: c.ID, ContentVersionID: v.ID, SocialAccountID: acct.ID,
		Platform: "x", IdempotencyKey: db.PostIdempotencyKey(c.ID, acct.ID), PublishedContent: map[string]any{}, PublishStatus: enums.PostPublishing}
	for _, row := range []any{acct, c, v, p} {
		_, err := f.a.DB.NewInsert().Model(row).Exec(context.Background())
		require.NoError(t, err)
	}
	return p.ID
}

func TestEventContent_SentimentSummary(t *testing.T) {
	f := setupEventContent(t)
	ctx := context.Background()
	post := postOf(t, f)
	now := time.Now().UTC().Truncate(time.Second)
	analysed(t, f, &post, f.event, "positive", 8000, now.Add(-2*time.Hour), "lineup", "speakers")
	analysed(t, f, &post, f.event, "positive", 5000, now.Add(-time.Hour), "lineup")
	analysed(t, f, nil, f.event, "negative", -6000, now.Add(-30*time.Minute), "wifi")
	analysed(t, f, nil, f.event, "neutral", 0, now.Add(-20*24*time.Hour))
	summary := func(s testenv.Session, req *contentv1.GetSentimentSummaryRequest) (*contentv1.GetSentimentSummaryResponse, error) {
		resp, err := f.svc.GetSentimentSummary(ctx, testenv.As(s, req))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}

	all, err := summary(f.member, &contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_EventId{EventId: f.event}})
	require.NoError(t, err)
	assert.Equal(t, &contentv1.SentimentCounts{Positive: 2, Neutral: 1, Negative: 1}, all.GetCounts())
	assert.Equal(t, int32(1750), all.GetAverageScoreBps(), "(8000+5000-6000+0)/4")
	require.NotEmpty(t, all.GetTopKeywords())
	assert.Equal(t, "lineup", all.GetTopKeywords()[0].GetKeyword())
	assert.Equal(t, int64(2), all.GetTopKeywords()[0].GetCount())

	recent, err := summary(f.member, &contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_EventId{EventId: f.event},
		From: timestamppb.New(now.Add(-90 * time.Minute)), To: timestamppb.New(now)})
	require.NoError(t, err)
	assert.Equal(t, &contentv1.SentimentCounts{Positive: 1, Negative: 1}, recent.GetCounts())
	assert.Equal(t, int32(-500), recent.GetAverageScoreBps())

	onPost, err := summary(f.owner, &contentv1.GetSentimentSummaryRequest{
		Subject: &contentv1.GetSentimentSummaryRequest_PublishedPostId{PublishedPostId: post.String()}})
	require.NoError(t, err)
	assert.Equal(t, &contentv1.SentimentCounts{Positive: 2}, onPost.GetCounts())
	assert.Equal(t, int32(6500), onPost.GetAverageScoreBps())

	_, err = summary(f.outside, &contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_EventId{EventId: f.event}})
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = summary(f.outside, &contentv1.GetSentimentSummaryRequest{
		Subject: &contentv1.GetSentimentSummaryRequest_PublishedPostId{PublishedPostId: post.String()}})
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = summary(f.member, &contentv1.GetSentimentSummaryRequest{})
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

// createEventContent gives the matrices' organization A an event with a
// delegate, approved content (nothing to retry) and a post.
func (f *matrixFixture) createEventContent(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	f.orgEvent = createEvent(t, f.a, f.ownerA, eventInput(f.a, func(in *eventsv1.EventInput) { in.OrganizationId = proto.String(f.orgA) })).GetId()
	svc := contentv1connect.NewEventContentServiceClient(f.a.HTTP, f.a.URL)
	d, err := svc.CreateDelegate(ctx, testenv.As(f.ownerA, &contentv1.CreateDelegateRequest{EventId: f.orgEvent, FirstName: "Asha",
		DelegateType: contentv1.DelegateType_DELEGATE_TYPE_SPEAKER, VipTier: 3}))
	require.NoError(t, err)
	f.delegate = d.Msg.GetDelegate().GetId()
	ec := &eventContentFixture{a: f.a, owner: f.ownerA, org: f.orgA, event: f.orgEvent}
	post := postOf(t, ec)
	f.postA = post.String()
	var contentID uuid.UUID
	require.NoError(t, f.a.DB.NewSelect().Model((*db.PublishedPost)(nil)).Column("content_id").Where("id = ?", post).Scan(ctx, &contentID))
	_, err = f.a.DB.NewUpdate().Model((*db.Content)(nil)).Set("workflow_status = ?", enums.ContentApproved).Where("id = ?", contentID).Exec(ctx)
	require.NoError(t, err)
	f.contentA = contentID.String()
}
