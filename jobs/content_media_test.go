package jobs_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
)

// TestInspectMedia types a file from its bytes and reads an image's
// dimensions; what is not media, or not readable, fails with a reason.
func TestInspectMedia(t *testing.T) {
	t.Parallel()
	img := image.NewRGBA(image.Rect(0, 0, 30, 20))
	img.Set(1, 1, color.White)
	var pngBuf, jpegBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, img))
	require.NoError(t, jpeg.Encode(&jpegBuf, img, nil))
	tests := []struct {
		name           string
		data           []byte
		status, mime   string
		width, height  int
		errorSubstring string
	}{
		{"png", pngBuf.Bytes(), enums.MediaReady, "image/png", 30, 20, ""},
		{"jpeg", jpegBuf.Bytes(), enums.MediaReady, "image/jpeg", 30, 20, ""},
		{"pdf is a document", []byte("%PDF-1.7\n..."), enums.MediaReady, "application/pdf", 0, 0, ""},
		{"truncated png", pngBuf.Bytes()[:20], enums.MediaFailed, "image/png", 0, 0, "cannot be read"},
		{"text", []byte("hello there"), enums.MediaFailed, "text/plain", 0, 0, "unsupported file type"},
		{"empty", nil, enums.MediaFailed, "", 0, 0, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := jobs.InspectMedia(bytes.NewReader(tc.data))
			require.NoError(t, err)
			assert.Equal(t, tc.status, got.Status)
			assert.Equal(t, tc.mime, got.MimeType)
			if tc.width > 0 {
				require.NotNil(t, got.Width)
				assert.Equal(t, tc.width, *got.Width)
				assert.Equal(t, tc.height, *got.Height)
			} else {
				assert.Nil(t, got.Width)
			}
			assert.Contains(t, got.Error, tc.errorSubstring)
		})
	}
}
