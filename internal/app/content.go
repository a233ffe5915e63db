package app

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/convene/convene/internal/blob"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
)

// buildContentProviders builds what content operations reach outside
// Convene: the social platforms (served by the sandbox; no real platform
// adapter exists yet), the store for uploaded media with its signed upload
// URLs, and the box that seals the platforms' tokens.
func (a *App) buildContentProviders() (err error) {
	base := strings.TrimRight(a.Config.PublicURL, "/")
	a.SocialSandbox = social.NewSandbox(social.SandboxConfig{BaseURL: base, Now: a.Now})
	if a.Social, err = social.NewRegistry(a.SocialSandbox.Platforms()...); err != nil {
		return fmt.Errorf("social platforms: %w", err)
	}
	if a.Blob, err = blob.NewLocal(a.Config.BlobDir, a.Now); err != nil {
		return fmt.Errorf("media store %s: %w", a.Config.BlobDir, err)
	}
	// Upload URLs are signed with a key derived from the JWT secret, so no
	// second secret has to be configured and shared by API processes.
	uploadKey := sha256.Sum256([]byte("convene/uploads\x00" + a.Config.JWTSecret))
	if a.Uploads, err = blob.NewSigner(uploadKey[:], base, a.Now); err != nil {
		return fmt.Errorf("upload signer: %w", err)
	}
	if a.Secrets, err = secretbox.FromEnv(a.Config.SocialTokenKey); err != nil {
		return err
	}
	return nil
}
