// Package oidclogin checks tokens of the server's OIDC provider (a Keycloak
// realm, say) for LoginWithOidc and LinkOidc. The provider's discovery
// document is fetched on first use and again after a failure, so a
// provider that is down at boot does not keep the API from starting; its
// key set (go-oidc's remote key set) is fetched again whenever a token
// names a key it does not know, which is how a key rotation arrives.
package oidclogin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

var (
	// ErrDisabled: the server has no OIDC issuer configured.
	ErrDisabled = errors.New("OIDC login is not enabled on this server (no CONVENE_OIDC_ISSUER)")
	// ErrBadClientID: CONVENE_OIDC_CLIENT_ID is empty or Keycloak's default
	// audience.
	ErrBadClientID = errors.New(`OIDC login is misconfigured: CONVENE_OIDC_CLIENT_ID must name this server's client (not empty, not "account")`)
	// ErrProviderUnavailable: the provider's discovery document could not
	// be fetched; a later call tries again.
	ErrProviderUnavailable = errors.New("the OIDC provider cannot be reached; try again")
	// ErrInvalidToken: the token is not one this server accepts.
	ErrInvalidToken = errors.New("invalid OIDC token")
)

// keycloakDefaultAudience is the audience Keycloak puts in every access
// token of a realm by default (keycloak/keycloak#35262): a token for it
// was not issued for this server.
const keycloakDefaultAudience = "account"

// Identity is who a checked token names.
type Identity struct {
	Issuer, Subject string
	// VerifiedEmail is the token's email when the provider verified it,
	// "" otherwise. It is informative only: accounts are never linked by it.
	VerifiedEmail string
	// Name is the token's name (or preferred_username), for a new profile.
	Name string
}

// Verifier checks tokens of one issuer for one client. The zero issuer
// turns it off: every Verify answers ErrDisabled.
type Verifier struct {
	issuer, clientID string
	now              func() time.Time
	client           *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

// NewVerifier returns the verifier of tokens issued by issuer for
// clientID, reading the clock from now and fetching with client (nil for
// http.DefaultClient).
func NewVerifier(issuer, clientID string, now func() time.Time, client *http.Client) *Verifier {
	if client == nil {
		client = http.DefaultClient
	}
	return &Verifier{issuer: issuer, clientID: clientID, now: now, client: client}
}

// Verify checks the token's signature, issuer, expiry and audience (the
// client ID among its aud: go-oidc's checks) and authorized party, and
// returns who it names.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (Identity, error) {
	if v.issuer == "" {
		return Identity{}, ErrDisabled
	}
	if v.clientID == "" || v.clientID == keycloakDefaultAudience {
		// Every token of a Keycloak realm is for "account": accepting it
		// would let any client's token sign in here.
		return Identity{}, ErrBadClientID
	}
	verifier, err := v.tokenVerifier(ctx)
	if err != nil {
		return Identity{}, err
	}
	tok, err := verifier.Verify(oidc.ClientContext(ctx, v.client), rawToken)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var claims struct {
		AuthorizedParty string `json:"azp"`
		Email           string `json:"email"`
		EmailVerified   bool   `json:"email_verified"`
		Name            string `json:"name"`
		Username        string `json:"preferred_username"`
	}
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: read its claims: %w", ErrInvalidToken, err)
	}
	if claims.AuthorizedParty != "" && claims.AuthorizedParty != v.clientID {
		return Identity{}, fmt.Errorf("%w: issued to client %q, not %q", ErrInvalidToken, claims.AuthorizedParty, v.clientID)
	}
	id := Identity{Issuer: tok.Issuer, Subject: tok.Subject, Name: cmp.Or(claims.Name, claims.Username)}
	if claims.EmailVerified {
		id.VerifiedEmail = claims.Email
	}
	return id, nil
}

// tokenVerifier discovers the provider on first use, and again on the
// next call after a failed discovery.
func (v *Verifier) tokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), v.issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discover %s: %w", ErrProviderUnavailable, v.issuer, err)
	}
	v.verifier = provider.Verifier(&oidc.Config{ClientID: v.clientID, Now: v.now})
	return v.verifier, nil
}
