package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
)

// enrichmentOf waits until the caller's profile of kind is no longer
// pending and returns it.
func enrichmentOf(t *testing.T, a *testenv.API, s testenv.Session, kind conferencesv1.EnrichmentKind) *conferencesv1.Enrichment {
	t.Helper()
	var found *conferencesv1.Enrichment
	testenv.Eventually(t, 20*time.Second, func() bool {
		resp, err := a.Enrichments.GetMyEnrichments(context.Background(), testenv.As(s, &conferencesv1.GetMyEnrichmentsRequest{}))
		require.NoError(t, err)
		for _, e := range resp.Msg.GetEnrichments() {
			if e.GetKind() == kind && e.GetStatus() != conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_PENDING {
				found = e
				return true
			}
		}
		return false
	}, "%s enrichment still pending", kind)
	return found
}

func TestEnrichment_SetProfilesRunsTheJobAndRefreshRunsItAgain(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	u := a.NewUser(t, newPhone())
	set, err := a.Enrichments.SetSocialProfiles(ctx, testenv.As(u, &conferencesv1.SetSocialProfilesRequest{
		TwitterHandle: proto.String("@Ada_L"), WalletAddress: proto.String("0x00000000000000000000000000000000000000aa")}))
	require.NoError(t, err)
	require.Len(t, set.Msg.GetEnrichments(), 2)
	assert.Equal(t, "ada_l", set.Msg.GetEnrichments()[0].GetInput())

	x := enrichmentOf(t, a, u, conferencesv1.EnrichmentKind_ENRICHMENT_KIND_TWITTER)
	assert.Equal(t, conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_DONE, x.GetStatus())
	assert.Equal(t, "offline", x.GetResult().GetFields()["source"].GetStringValue())
	firstRun := x.GetEnrichedAt().AsTime()

	refreshed, err := a.Enrichments.RefreshEnrichment(ctx, testenv.As(u, &conferencesv1.RefreshEnrichmentRequest{Kind: conferencesv1.EnrichmentKind_ENRICHMENT_KIND_TWITTER}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_PENDING, refreshed.Msg.GetEnrichment().GetStatus())
	again := enrichmentOf(t, a, u, conferencesv1.EnrichmentKind_ENRICHMENT_KIND_TWITTER)
	assert.Equal(t, conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_DONE, again.GetStatus())
	assert.True(t, again.GetEnrichedAt().AsTime().After(firstRun), "the refresh ran the job again")
	assert.Equal(t, x.GetResult().AsMap(), again.GetResult().AsMap(), "the offline provider answers the same input the same")

	_, err = a.Enrichments.RefreshEnrichment(ctx, testenv.As(u, &conferencesv1.RefreshEnrichmentRequest{Kind: conferencesv1.EnrichmentKind_ENRICHMENT_KIND_LINKEDIN}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}

func TestEnrichment_ProviderFailureMarksTheProfileFailed(t *testing.T) {
	a := setup(t)
	u := a.NewUser(t, newPhone())
	_, err := a.Enrichments.SetSocialProfiles(context.Background(), testenv.As(u, &conferencesv1.SetSocialProfilesRequest{
		LinkedinUrl: proto.String("https://www.linkedin.com/in/fail-me")}))
	require.NoError(t, err)
	e := enrichmentOf(t, a, u, conferencesv1.EnrichmentKind_ENRICHMENT_KIND_LINKEDIN)
	assert.Equal(t, conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_FAILED, e.GetStatus())
	assert.Contains(t, e.GetError(), "no such profile")
}

func TestEnrichment_OneJobWhilePending(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil) // no worker: the jobs stay pending
	ctx := context.Background()
	u := a.NewUser(t, newPhone())
	_, err := a.Enrichments.SetSocialProfiles(ctx, testenv.As(u, &conferencesv1.SetSocialProfilesRequest{TwitterHandle: proto.String("ada")}))
	require.NoError(t, err)
	for range 2 {
		_, err := a.Enrichments.RefreshEnrichment(ctx, testenv.As(u, &conferencesv1.RefreshEnrichmentRequest{Kind: conferencesv1.EnrichmentKind_ENRICHMENT_KIND_TWITTER}))
		require.NoError(t, err)
	}
	_, err = a.Enrichments.SetSocialProfiles(ctx, testenv.As(u, &conferencesv1.SetSocialProfilesRequest{TwitterHandle: proto.String("ada2")}))
	require.NoError(t, err)
	n, err := a.DB.NewSelect().Table("river_job").Where("kind = ?", "conferences_enrich_profile").Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}
