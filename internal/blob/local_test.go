package blob_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/blob"
)

var created = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newLocal(t *testing.T) (*blob.Local, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := blob.NewLocal(dir, func() time.Time { return created })
	require.NoError(t, err)
	return l, dir
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key string
		ok  bool
	}{
		{key: "org-1/0192aa/photo.jpg", ok: true},
		{key: "a", ok: true},
		{key: ""},
		{key: "/etc/passwd"},
		{key: "a/../b"},
		{key: "../b"},
		{key: "a/./b"},
		{key: "a//b"},
		{key: "a/"},
		{key: `a\b`},
		{key: "a b"},
		{key: "photo%2e.jpg"},
		{key: strings.Repeat("a", 513)},
	}
	for _, tt := range tests {
		err := blob.ValidateKey(tt.key)
		if tt.ok {
			assert.NoError(t, err, tt.key)
		} else {
			assert.ErrorIs(t, err, blob.ErrInvalidKey, tt.key)
		}
	}
}

func TestLocal_RoundTrip(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t)
	ctx := context.Background()
	info, err := l.Put(ctx, "org/a/photo.png", "image/png", strings.NewReader("png bytes"), 9)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("png bytes"))
	assert.Equal(t, blob.Info{Key: "org/a/photo.png", ContentType: "image/png", Size: 9, CreatedAt: created,
		SHA256: hex.EncodeToString(sum[:])}, info)

	r, got, err := l.Open(ctx, "org/a/photo.png")
	require.NoError(t, err)
	body, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, "png bytes", string(body))
	assert.Equal(t, info, got)

	stat, err := l.Stat(ctx, "org/a/photo.png")
	require.NoError(t, err)
	assert.Equal(t, info, stat)

	require.NoError(t, l.Delete(ctx, "org/a/photo.png"))
	_, err = l.Stat(ctx, "org/a/photo.png")
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, l.Delete(ctx, "org/a/photo.png"), "deleting twice is fine")
}

func TestLocal_PutRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     string
		body    string
		size    int64
		wantErr error
	}{
		{name: "body shorter than announced", key: "k", body: "abc", size: 4, wantErr: blob.ErrSizeMismatch},
		{name: "body longer than announced", key: "k", body: "abcde", size: 4, wantErr: blob.ErrSizeMismatch},
		{name: "key taken", key: "taken", body: "abc", size: 3, wantErr: blob.ErrExists},
		{name: "key escapes the directory", key: "../k", body: "abc", size: 3, wantErr: blob.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, dir := newLocal(t)
			ctx := context.Background()
			_, err := l.Put(ctx, "taken", "text/plain", strings.NewReader("first"), 5)
			require.NoError(t, err)

			_, err = l.Put(ctx, tt.key, "text/plain", strings.NewReader(tt.body), tt.size)
			require.ErrorIs(t, err, tt.wantErr)
			_, err = l.Stat(ctx, "k")
			require.ErrorIs(t, err, blob.ErrNotFound, "nothing stored")
			r, _, err := l.Open(ctx, "taken")
			require.NoError(t, err)
			body, _ := io.ReadAll(r)
			_ = r.Close()
			assert.Equal(t, "first", string(body), "the existing object is untouched")
			tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
			require.NoError(t, err)
			assert.Empty(t, tmp, "no temporary file left behind")
		})
	}
}

func TestLocal_ConcurrentPutsOfOneKeyStoreOne(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t)
	var wg sync.WaitGroup
	var stored, refused atomic.Int32
	for i := range 20 {
		wg.Go(func() {
			_, err := l.Put(context.Background(), "same", "text/plain", strings.NewReader(strings.Repeat("x", i+1)), -1)
			switch {
			case err == nil:
				stored.Add(1)
			case errors.Is(err, blob.ErrExists):
				refused.Add(1)
			default:
				t.Errorf("put: %v", err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), stored.Load())
	assert.Equal(t, int32(19), refused.Load())
}
