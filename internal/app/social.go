package app

import (
	"crypto/rand"
	"fmt"

	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
)

// buildSocial builds the social platforms content is published on (the
// sandbox serves every platform name: no real adapter exists yet) and the
// box that seals their accounts' tokens (Config.SocialTokenKey). A
// configuration built in code without Finalize (benchmarks) has no key:
// it gets a random one for this process, with a warning.
func (a *App) buildSocial() (err error) {
	a.SocialSandbox = social.NewSandbox(social.SandboxConfig{BaseURL: a.Config.PublicURL, Now: a.Now})
	if a.Social, err = social.NewRegistry(a.SocialSandbox.Platforms()...); err != nil {
		return fmt.Errorf("social platforms: %w", err)
	}
	if a.Config.SocialTokenKey == "" {
		a.Log.Warn("CONVENE_SOCIAL_TOKEN_KEY is not set: social tokens are sealed with a random key that dies with this process")
		key := make([]byte, secretbox.KeySize)
		_, _ = rand.Read(key) // never fails (crypto/rand)
		a.SocialTokens, err = secretbox.New(map[string][]byte{"ephemeral": key}, "ephemeral")
		return err
	}
	a.SocialTokens, err = secretbox.FromEnv(a.Config.SocialTokenKey)
	return err
}
