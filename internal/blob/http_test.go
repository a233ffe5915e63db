package blob_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/blob"
)

// httpBundle is the upload and media routes over a Local store.
type httpBundle struct {
	store    *blob.Local
	signer   *blob.Signer
	server   *httptest.Server
	now      time.Time
	mu       sync.Mutex
	uploaded []blob.Info
}

func setupHTTP(t *testing.T) *httpBundle {
	t.Helper()
	b := &httpBundle{now: created}
	b.store, _ = newLocal(t)
	mux := http.NewServeMux()
	b.server = httptest.NewServer(mux)
	t.Cleanup(b.server.Close)
	var err error
	b.signer, err = blob.NewSigner([]byte(strings.Repeat("s", 32)), b.server.URL+"/", func() time.Time { return b.now })
	require.NoError(t, err)
	h := blob.NewHandler(blob.HandlerConfig{Store: b.store, Signer: b.signer, OnUpload: func(_ context.Context, i blob.Info) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.uploaded = append(b.uploaded, i)
	}})
	mux.Handle("/uploads/", h)
	mux.Handle("/media/", h)
	return b
}

func (b *httpBundle) put(t *testing.T, target, contentType string, body io.Reader, length int64) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, target, body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = length
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func TestHandler_SignedUploadThenServe(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t)
	target, err := b.signer.SignPut("org/1/pic.png", 1024, "image/png", created.Add(15*time.Minute))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(target, b.server.URL+"/uploads/org/1/pic.png?"), target)

	res := b.put(t, target, "image/png", strings.NewReader("png!"), 4)
	body, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	assert.Contains(t, string(body), `"size":4`)
	require.Len(t, b.uploaded, 1)
	assert.Equal(t, "org/1/pic.png", b.uploaded[0].Key)

	got, err := http.Get(b.signer.MediaURL("org/1/pic.png"))
	require.NoError(t, err)
	defer func() { _ = got.Body.Close() }()
	media, _ := io.ReadAll(got.Body)
	require.Equal(t, http.StatusOK, got.StatusCode)
	assert.Equal(t, "png!", string(media))
	assert.Equal(t, "image/png", got.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", got.Header.Get("X-Content-Type-Options"))

	res = b.put(t, target, "image/png", strings.NewReader("evil"), 4)
	assert.Equal(t, http.StatusConflict, res.StatusCode, "an upload URL cannot replace what it uploaded")

	missing, err := http.Get(b.signer.MediaURL("org/1/none.png"))
	require.NoError(t, err)
	_ = missing.Body.Close()
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)
}

func TestHandler_UploadRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tamper      func(q url.Values)
		elapsed     time.Duration
		contentType string
		body        string
		length      int64 // -1: chunked, no Content-Length
		want        int
	}{
		{name: "signature altered", tamper: func(q url.Values) { q.Set("max_bytes", "999999") },
			contentType: "image/png", body: "png!", length: 4, want: http.StatusForbidden},
		{name: "no signature", tamper: func(q url.Values) { q.Del("signature") },
			contentType: "image/png", body: "png!", length: 4, want: http.StatusForbidden},
		{name: "expired", elapsed: 15 * time.Minute, contentType: "image/png", body: "png!", length: 4,
			want: http.StatusForbidden},
		{name: "other content type", contentType: "text/html", body: "<script>", length: 8,
			want: http.StatusUnsupportedMediaType},
		{name: "announced too large", contentType: "image/png", body: "0123456789a", length: 11,
			want: http.StatusRequestEntityTooLarge},
		{name: "chunked too large", contentType: "image/png", body: "0123456789a", length: -1,
			want: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHTTP(t)
			target, err := b.signer.SignPut("k.png", 10, "image/png", created.Add(15*time.Minute))
			require.NoError(t, err)
			u, err := url.Parse(target)
			require.NoError(t, err)
			if tt.tamper != nil {
				q := u.Query()
				tt.tamper(q)
				u.RawQuery = q.Encode()
			}
			b.now = created.Add(tt.elapsed)

			res := b.put(t, u.String(), tt.contentType, io.MultiReader(strings.NewReader(tt.body)), tt.length)
			assert.Equal(t, tt.want, res.StatusCode)
			_, err = b.store.Stat(context.Background(), "k.png")
			require.ErrorIs(t, err, blob.ErrNotFound, "nothing stored")
			assert.Empty(t, b.uploaded)
		})
	}
}
