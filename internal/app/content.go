package app

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/convene/convene/internal/blob"
)

// mediaStore builds the store for uploaded media and the signer of the
// URLs clients upload to.
func (a *App) mediaStore() (err error) {
	if a.Blob, err = blob.NewLocal(a.Config.BlobDir, a.Now); err != nil {
		return fmt.Errorf("media store %s: %w", a.Config.BlobDir, err)
	}
	// Upload URLs are signed with a key derived from the JWT secret, so no
	// second secret has to be configured and shared by API processes.
	uploadKey := sha256.Sum256([]byte("convene/uploads\x00" + a.Config.JWTSecret))
	if a.Uploads, err = blob.NewSigner(uploadKey[:], strings.TrimRight(a.Config.PublicURL, "/"), a.Now); err != nil {
		return fmt.Errorf("upload signer: %w", err)
	}
	return nil
}
