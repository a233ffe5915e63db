package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// oidcClientID is the client the fake issuer's tokens are for.
const oidcClientID = "convene-app"

// fakeIssuer is an OIDC provider on httptest: discovery and a JWKS of its
// current signing key, which rotate replaces.
type fakeIssuer struct {
	srv *httptest.Server
	mu  sync.Mutex
	key jose.JSONWebKey
}

func newFakeIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{}
	f.rotate(t, "key-1")
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": f.srv.URL, "jwks_uri": f.srv.URL + "/jwks",
			"authorization_endpoint": f.srv.URL + "/auth", "token_endpoint": f.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{f.key.Public()}})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// rotate makes a new RSA key with kid the only one the issuer signs with
// and publishes.
func (f *fakeIssuer) rotate(t *testing.T, kid string) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.key = jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

// tokenClaims are the claims of a token; the zero fields are filled by sign.
type tokenClaims struct {
	jwt.Claims
	AuthorizedParty string `json:"azp,omitempty"`
	Email           string `json:"email,omitempty"`
	EmailVerified   bool   `json:"email_verified,omitempty"`
	Name            string `json:"name,omitempty"`
}

// sign signs a token for subject valid around now, changed by mods.
func (f *fakeIssuer) sign(t *testing.T, now time.Time, subject string, mods ...func(*tokenClaims)) string {
	t.Helper()
	c := tokenClaims{Claims: jwt.Claims{Issuer: f.srv.URL, Subject: subject, Audience: jwt.Audience{oidcClientID},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}, AuthorizedParty: oidcClientID, Name: "Ada"}
	for _, m := range mods {
		m(&c)
	}
	f.mu.Lock()
	key := f.key
	f.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	raw, err := jwt.Signed(signer).Claims(c).Serialize()
	require.NoError(t, err)
	return raw
}

func oidcAPI(t *testing.T, f *fakeIssuer) *testenv.API {
	t.Helper()
	return setup(t, testenv.WithConfig(func(c *config.Config) { c.OIDCIssuer, c.OIDCClientID = f.srv.URL, oidcClientID }))
}

func loginWithOidc(a *testenv.API, idToken string) (*identityv1.LoginWithOidcResponse, error) {
	resp, err := a.Auth.LoginWithOidc(context.Background(), connect.NewRequest(&identityv1.LoginWithOidcRequest{
		Token: &identityv1.OidcToken{Token: &identityv1.OidcToken_IdToken{IdToken: idToken}}}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func TestOidcLogin_CreatesOnceThenSignsInTheSameUser(t *testing.T) {
	f := newFakeIssuer(t)
	a := oidcAPI(t, f)
	first, err := loginWithOidc(a, f.sign(t, a.Clock.Now(), "sub-1"))
	require.NoError(t, err)
	assert.True(t, first.GetNewUser())
	assert.Equal(t, "Ada", first.GetUser().GetProfile().GetName())

	again, err := loginWithOidc(a, f.sign(t, a.Clock.Now(), "sub-1"))
	require.NoError(t, err)
	assert.False(t, again.GetNewUser())
	assert.Equal(t, first.GetUser().GetId(), again.GetUser().GetId())
	assert.EqualValues(t, 1, countRows(t, a, (*db.UserIdentity)(nil), "subject = 'sub-1'"))
	assert.EqualValues(t, 1, countRows(t, a, (*db.User)(nil), "id = ? AND last_login_at IS NOT NULL", first.GetUser().GetId()),
		"a login through the provider is a login")

	f.rotate(t, "key-2")
	rotated, err := loginWithOidc(a, f.sign(t, a.Clock.Now(), "sub-1"))
	require.NoError(t, err, "a token signed with a new kid is accepted after the JWKS refetch")
	assert.Equal(t, first.GetUser().GetId(), rotated.GetUser().GetId())

	me, err := a.Users.GetMe(context.Background(), testenv.As(testenv.Session{AccessToken: rotated.GetAccessToken()}, &identityv1.GetMeRequest{}))
	require.NoError(t, err)
	assert.Equal(t, first.GetUser().GetId(), me.Msg.GetUser().GetId())
}

func TestOidcLogin_RefusesTokensNotForThisServer(t *testing.T) {
	f := newFakeIssuer(t)
	a := oidcAPI(t, f)
	other := newFakeIssuer(t)
	now := a.Clock.Now()
	tests := []struct {
		name  string
		token string
	}{
		{"expired", f.sign(t, now, "sub-x", func(c *tokenClaims) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour)), jwt.NewNumericDate(now.Add(-time.Minute))
		})},
		{"keycloak's default audience only", f.sign(t, now, "sub-x", func(c *tokenClaims) { c.Audience = jwt.Audience{"account"} })},
		{"another issuer", other.sign(t, now, "sub-x")},
		{"another issuer's name on our key", f.sign(t, now, "sub-x", func(c *tokenClaims) { c.Issuer = other.srv.URL })},
		{"another client as azp", f.sign(t, now, "sub-x", func(c *tokenClaims) { c.AuthorizedParty = "other-client" })},
		{"not a token", "not.a.token"},
	}
	users := countRows(t, a, (*db.User)(nil), "true")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loginWithOidc(a, tc.token)
			testenv.RequireCode(t, err, connect.CodeUnauthenticated)
		})
	}
	assert.Equal(t, users, countRows(t, a, (*db.User)(nil), "true"), "no user created")
	assert.Zero(t, countRows(t, a, (*db.UserIdentity)(nil), "true"))
}

func TestOidcLogin_NeverLinksByEmail(t *testing.T) {
	f := newFakeIssuer(t)
	a := oidcAPI(t, f)
	ctx := context.Background()
	existing := a.NewUser(t, newPhone())
	_, err := a.DB.NewUpdate().Model((*db.User)(nil)).Set("email = 'ada@example.com', email_verified_at = now()").
		Where("id = ?", mustUUID(existing.UserID)).Exec(ctx)
	require.NoError(t, err)

	in, err := loginWithOidc(a, f.sign(t, a.Clock.Now(), "sub-ada", func(c *tokenClaims) { c.Email, c.EmailVerified = "ada@example.com", true }))
	require.NoError(t, err)
	assert.True(t, in.GetNewUser())
	assert.NotEqual(t, existing.UserID, in.GetUser().GetId(), "a verified email at the provider does not take over the account")
	var ident db.UserIdentity
	require.NoError(t, a.DB.NewSelect().Model(&ident).Where("subject = 'sub-ada'").Scan(ctx))
	assert.Equal(t, "ada@example.com", *ident.Email, "stored on the identity only")

	// The owner links the identity themselves; then it is theirs to sign in with.
	_, err = a.Users.LinkOidc(ctx, testenv.As(existing, &identityv1.LinkOidcRequest{Token: &identityv1.OidcToken{
		Token: &identityv1.OidcToken_IdToken{IdToken: f.sign(t, a.Clock.Now(), "sub-ada")}}}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	_, err = a.Users.LinkOidc(ctx, testenv.As(existing, &identityv1.LinkOidcRequest{Token: &identityv1.OidcToken{
		Token: &identityv1.OidcToken_IdToken{IdToken: f.sign(t, a.Clock.Now(), "sub-owner")}}}))
	require.NoError(t, err)
	linked, err := loginWithOidc(a, f.sign(t, a.Clock.Now(), "sub-owner"))
	require.NoError(t, err)
	assert.Equal(t, existing.UserID, linked.GetUser().GetId())
}

func TestOidcLogin_OffWithoutAnIssuer(t *testing.T) {
	a := setup(t)
	f := newFakeIssuer(t)
	_, err := loginWithOidc(a, f.sign(t, a.Clock.Now(), "sub-1"))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}
