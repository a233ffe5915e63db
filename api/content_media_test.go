package api_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// encoded is a w×h image in the given format.
func encoded(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	switch format {
	case "png":
		require.NoError(t, png.Encode(&buf, img))
	case "gif":
		require.NoError(t, gif.Encode(&buf, img, nil))
	}
	return buf.Bytes()
}

// awaitMedia waits until the asset is processed and returns it.
func awaitMedia(t *testing.T, b *contentBundle, id string) *contentv1.MediaAsset {
	t.Helper()
	var got *contentv1.MediaAsset
	testenv.Eventually(t, 20*time.Second, func() bool {
		resp, err := b.a.Content.ListMediaAssets(context.Background(), testenv.As(b.author, &contentv1.ListMediaAssetsRequest{OrganizationId: b.org}))
		require.NoError(t, err)
		for _, m := range resp.Msg.GetMediaAssets() {
			if m.GetId() == id && m.GetProcessingStatus() != contentv1.MediaStatus_MEDIA_STATUS_PENDING {
				got = m
				return true
			}
		}
		return false
	}, "media %s was never processed", id)
	return got
}

func TestMedia_SignedUploadIsProcessedAndUsable(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	data := encoded(t, "png", 64, 48)
	up, err := b.a.Content.CreateUpload(ctx, testenv.As(b.author, &contentv1.CreateUploadRequest{OrganizationId: b.org,
		Filename: "stage.png", MimeType: "image/png", FileSize: int64(len(data))}))
	require.NoError(t, err)
	id := up.Msg.GetMediaAssetId()

	_, err = b.a.Content.CreateContent(ctx, testenv.As(b.author, &contentv1.CreateContentRequest{OrganizationId: b.org,
		ContentType: contentv1.ContentType_CONTENT_TYPE_POST, MediaAssetIds: []string{id}}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)

	put, err := http.NewRequest(http.MethodPut, up.Msg.GetUploadUrl(), bytes.NewReader(data))
	require.NoError(t, err)
	put.Header.Set("Content-Type", "image/png")
	resp, err := b.a.HTTP.Do(put)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	m := awaitMedia(t, b, id)
	assert.Equal(t, contentv1.MediaStatus_MEDIA_STATUS_READY, m.GetProcessingStatus())
	assert.EqualValues(t, 64, m.GetWidth())
	assert.EqualValues(t, 48, m.GetHeight())
	assert.NotEmpty(t, m.GetUrl())
	served, err := b.a.HTTP.Get(m.GetUrl())
	require.NoError(t, err)
	require.NoError(t, served.Body.Close())
	assert.Equal(t, http.StatusOK, served.StatusCode)

	c, err := b.a.Content.CreateContent(ctx, testenv.As(b.author, &contentv1.CreateContentRequest{OrganizationId: b.org,
		ContentType: contentv1.ContentType_CONTENT_TYPE_POST, MediaAssetIds: []string{id}}))
	require.NoError(t, err)
	assert.Equal(t, []string{id}, c.Msg.GetContent().GetCurrent().GetMediaAssetIds())

	put, err = http.NewRequest(http.MethodPut, up.Msg.GetUploadUrl(), bytes.NewReader(data))
	require.NoError(t, err)
	put.Header.Set("Content-Type", "image/png")
	resp, err = b.a.HTTP.Do(put)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "an approved picture cannot be swapped")
}

func TestMedia_InlineUploadsAreTypedFromTheirBytes(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	upload := func(data []byte, mime string) string {
		resp, err := b.a.Content.UploadMedia(ctx, testenv.As(b.author, &contentv1.UploadMediaRequest{OrganizationId: b.org,
			Filename: "f", MimeType: mime, Data: data}))
		require.NoError(t, err)
		assert.Equal(t, contentv1.MediaStatus_MEDIA_STATUS_PENDING, resp.Msg.GetMediaAsset().GetProcessingStatus())
		return resp.Msg.GetMediaAsset().GetId()
	}
	gifID := upload(encoded(t, "gif", 5, 7), "image/png")
	textID := upload([]byte("just some words, not a picture"), "image/png")

	m := awaitMedia(t, b, gifID)
	assert.Equal(t, contentv1.MediaStatus_MEDIA_STATUS_READY, m.GetProcessingStatus())
	assert.Equal(t, "image/gif", m.GetMimeType(), "the bytes decide, not the claim")
	assert.EqualValues(t, 5, m.GetWidth())
	assert.EqualValues(t, 7, m.GetHeight())
	m = awaitMedia(t, b, textID)
	assert.Equal(t, contentv1.MediaStatus_MEDIA_STATUS_FAILED, m.GetProcessingStatus())
	assert.Empty(t, m.GetUrl())

	_, err := b.a.Content.UploadMedia(ctx, testenv.As(b.outB, &contentv1.UploadMediaRequest{OrganizationId: b.org,
		Filename: "f", MimeType: "image/png", Data: []byte("x")}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = b.a.Content.ListMediaAssets(ctx, testenv.As(b.outB, &contentv1.ListMediaAssetsRequest{OrganizationId: b.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestContentPurge_RemovesContentDeletedOverNinetyDaysAgo(t *testing.T) {
	b := setupContent(t)
	ctx := context.Background()
	post := contentv1.ContentType_CONTENT_TYPE_POST
	old := b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, Title: "old"})
	recent := b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, Title: "recent"})
	kept := b.createContent(t, &contentv1.CreateContentRequest{ContentType: post, Title: "kept", ScheduledFor: timestamppb.New(time.Now().Add(time.Hour))})
	now := time.Now()
	for id, deleted := range map[string]time.Time{old.GetId(): now.Add(-91 * 24 * time.Hour), recent.GetId(): now.Add(-89 * 24 * time.Hour)} {
		_, err := b.a.DB.NewUpdate().Model((*db.Content)(nil)).Set("deleted_at = ?", deleted).Where("id = ?", id).Exec(ctx)
		require.NoError(t, err)
	}
	require.NoError(t, (&jobs.PurgeContentWorker{DB: b.a.DB, Now: time.Now}).Work(ctx, nil))
	var left []string
	require.NoError(t, b.a.DB.NewSelect().Model((*db.Content)(nil)).Column("id").Where("organization_id = ?", b.org).Order("created_at").Scan(ctx, &left))
	assert.Equal(t, []string{recent.GetId(), kept.GetId()}, left)
	n, err := b.a.DB.NewSelect().Model((*db.ContentVersion)(nil)).Where("content_id = ?", old.GetId()).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "its versions went with it")
}
