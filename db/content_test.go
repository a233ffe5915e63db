package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// TestContentModels_RoundTripThroughTheSchema writes one row of each
// content model and reads it back, so every Bun tag matches a column and
// every row a helper writes satisfies the schema's checks.
func TestContentModels_RoundTripThroughTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	author, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	now := time.Now().UTC().Truncate(time.Microsecond)

	account := &db.SocialAccount{ID: db.NewID(), OrganizationID: org.ID, Platform: "x", PlatformUserID: "u1",
		AccessTokenCiphertext: []byte{1, 2}, TokenKeyID: "k1", IsActive: true}
	asset := &db.MediaAsset{ID: db.NewID(), OrganizationID: org.ID, Filename: "a.png", FileType: "image",
		MimeType: "image/png", FileSize: 10, StorageKey: "k/" + db.NewID().String(), ProcessingStatus: enums.MediaReady, AITags: []string{}}
	content := &db.Content{ID: db.NewID(), OrganizationID: org.ID, AuthorUserID: author.ID, ContentType: "post",
		CurrentVersion: 1, WorkflowStatus: enums.ContentDraft, ApprovalRequired: true}
	version := &db.ContentVersion{ID: db.NewID(), ContentID: content.ID, OrganizationID: org.ID, Version: 1,
		Title: "Launch", Hashtags: []string{"#go"}}
	def := &db.ApprovalWorkflow{ID: db.NewID(), OrganizationID: org.ID, Name: "default", IsActive: true,
		TriggerConditions: db.TriggerConditions{ContentTypes: []string{"post"}}}
	step := db.ApprovalWorkflowStep{ID: db.NewID(), ApprovalWorkflowID: def.ID, Position: 1, Name: "legal",
		ApproverUserIDs: []uuid.UUID{author.ID}, ApproverRoles: []string{}, Quorum: enums.QuorumAny, QuorumN: 1, SLAHours: 24}
	request := &db.ApprovalRequest{ID: db.NewID(), OrganizationID: org.ID, ApprovalWorkflowID: &def.ID, ContentID: content.ID,
		ContentVersionID: version.ID, Version: 1, Steps: []db.ApprovalWorkflowStep{step}, CurrentStep: 1,
		Status: enums.ApprovalPending, RequestedAt: now}
	post := &db.PublishedPost{ID: db.NewID(), OrganizationID: org.ID, ContentID: content.ID, ContentVersionID: version.ID,
		SocialAccountID: account.ID, Platform: "x", IdempotencyKey: "content/" + content.ID.String() + "/x",
		PublishedContent: map[string]any{}, PublishStatus: enums.PostPublishing}
	metric := &db.EngagementMetric{ID: db.NewID(), OrganizationID: org.ID, PublishedPostID: post.ID, Platform: "x", MeasuredAt: now}
	for _, row := range []any{account, asset, content, version,
		&db.ContentVersionMedia{ContentVersionID: version.ID, MediaAssetID: asset.ID},
		&db.ContentVersionTarget{ContentVersionID: version.ID, SocialAccountID: account.ID},
		def, &step, request, post, metric} {
		_, err := d.NewInsert().Model(row).Exec(ctx)
		require.NoError(t, err, "insert %T", row)
	}

	got := &db.ApprovalRequest{}
	require.NoError(t, d.NewSelect().Model(got).Where("id = ?", request.ID).Scan(ctx))
	require.Len(t, got.Steps, 1)
	require.Equal(t, step.ApproverUserIDs, got.Steps[0].ApproverUserIDs, "the steps snapshot keeps its approvers")
	gotDef := &db.ApprovalWorkflow{}
	require.NoError(t, d.NewSelect().Model(gotDef).Relation("Steps").Where("aw.id = ?", def.ID).Scan(ctx))
	require.Equal(t, []string{"post"}, gotDef.TriggerConditions.ContentTypes)
	require.Len(t, gotDef.Steps, 1)
	gotMetric := &db.EngagementMetric{}
	require.NoError(t, d.NewSelect().Model(gotMetric).Where("published_post_id = ?", post.ID).Scan(ctx))
	require.True(t, now.Equal(gotMetric.MeasuredAt), "metrics land in this month's partition")
}
