package socialauth_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/socialauth"
	"github.com/convene/convene/internal/testenv"
)

// connected is a sandbox "x" account connected through the consent code,
// its grant sealed into a stored row.
func connected(t *testing.T, d *db.DB, box *secretbox.Box, sb *social.Sandbox) (*db.SocialAccount, social.Grant) {
	t.Helper()
	ctx := context.Background()
	p := sb.Platforms()[0]
	code, err := sb.IssueCode(p.Name(), "http://localhost/cb", "demo")
	require.NoError(t, err)
	g, err := p.ExchangeCode(ctx, code, "http://localhost/cb")
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	acct := &db.SocialAccount{ID: db.NewID(), OrganizationID: org.ID, Platform: p.Name(),
		PlatformUserID: g.Account.PlatformUserID, Username: g.Account.Username, IsActive: true}
	socialauth.Seal(box, acct, g)
	_, err = d.NewInsert().Model(acct).Exec(ctx)
	require.NoError(t, err)
	return acct, g
}

func testBox(t *testing.T) *secretbox.Box {
	t.Helper()
	box, err := secretbox.FromEnv("k1:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
	require.NoError(t, err)
	return box
}

func TestAccessToken_StoredWhileFreshRefreshedWhenExpiring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	now := time.Now()
	clock := func() time.Time { return now }
	sb := social.NewSandbox(social.SandboxConfig{Now: clock, AccessTokenTTL: time.Hour})
	box := testBox(t)
	acct, g := connected(t, d, box, sb)
	p := sb.Platforms()[0]

	for _, tc := range []struct {
		name      string
		at        time.Time
		refreshed bool
	}{
		{"fresh token is the stored one", now, false},
		{"token expiring within RefreshAhead is refreshed", now.Add(time.Hour - socialauth.RefreshAhead/2), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, err := socialauth.AccessToken(ctx, d, box, p, acct.ID, tc.at)
			require.NoError(t, err)
			require.Equal(t, !tc.refreshed, token == g.AccessToken, "token %s", token)
			stored := &db.SocialAccount{}
			require.NoError(t, d.NewSelect().Model(stored).Where("id = ?", acct.ID).Scan(ctx))
			require.NotContains(t, string(stored.AccessTokenCiphertext), token, "the row holds ciphertext only")
		})
	}
}

func TestAccessToken_CiphertextMovedToAnotherAccountDoesNotOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	sb := social.NewSandbox(social.SandboxConfig{})
	box := testBox(t)
	a, _ := connected(t, d, box, sb)
	b, _ := connected(t, d, box, sb)
	_, err := d.NewUpdate().Model((*db.SocialAccount)(nil)).Set("access_token_ciphertext = ?", a.AccessTokenCiphertext).
		Where("id = ?", b.ID).Exec(ctx)
	require.NoError(t, err)
	_, err = socialauth.AccessToken(ctx, d, box, sb.Platforms()[0], b.ID, time.Now())
	require.ErrorContains(t, err, fmt.Sprintf("social account %s", b.ID))
}
