package notify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/notify"
)

// tokenEndpoint stands in for Google's OAuth 2 token endpoint: it checks
// the JWT bearer grant and hands out numbered tokens living lifetime.
type tokenEndpoint struct {
	t        *testing.T
	lifetime time.Duration
	mu       sync.Mutex
	issued   int
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	assert.NoError(e.t, r.ParseForm())
	assert.Equal(e.t, "urn:ietf:params:oauth:grant-type:jwt-bearer", r.PostForm.Get("grant_type"))
	claims := jwtClaims(e.t, r.PostForm.Get("assertion"))
	assert.Equal(e.t, notify.FCMScope, claims["scope"])
	assert.Equal(e.t, "push@convene-test.iam.gserviceaccount.com", claims["iss"])
	e.mu.Lock()
	e.issued++
	n := e.issued
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":"ya29.token-%d","token_type":"Bearer","expires_in":%d}`, n, int(e.lifetime.Seconds()))
}

func (e *tokenEndpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.issued
}

// jwtClaims decodes (without verifying) the claims of a JWT.
func jwtClaims(t *testing.T, jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3, "a signed JWT")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}

// serviceAccountKey is a JSON key as the Firebase console downloads it,
// with a fresh RSA key and token_uri pointing at tokenURL.
func serviceAccountKey(t *testing.T, tokenURL string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	out, err := json.Marshal(map[string]string{"type": "service_account", "project_id": "convene-test",
		"private_key_id": "key-1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "push@convene-test.iam.gserviceaccount.com", "token_uri": tokenURL})
	require.NoError(t, err)
	return out
}

// The FCM sender signs in with the service account once, reuses the
// access token while it lives, and fetches a new one once it expires.
func TestFCM_ServiceAccountTokenFetchedReusedRefreshed(t *testing.T) {
	t.Parallel()
	// oauth2 treats a token as expired 10 s early: this one is usable for 2 s.
	tokens := &tokenEndpoint{t: t, lifetime: 12 * time.Second}
	tokenSrv := httptest.NewServer(tokens)
	defer tokenSrv.Close()
	var mu sync.Mutex
	var seen []string
	fcmSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		fmt.Fprint(w, `{"name":"projects/convene-test/messages/1"}`)
	}))
	defer fcmSrv.Close()

	source, err := notify.ServiceAccountToken(serviceAccountKey(t, tokenSrv.URL), nil)
	require.NoError(t, err)
	fcm, err := notify.NewFCM(notify.FCMConfig{ProjectID: "convene-test", TokenSource: source, BaseURL: fcmSrv.URL})
	require.NoError(t, err)
	send := func() {
		_, err := fcm.Send(context.Background(), msg("item-1", "device-token"))
		require.NoError(t, err)
	}

	send()
	send()
	assert.Equal(t, 1, tokens.count(), "the token is fetched once and reused")
	time.Sleep(2100 * time.Millisecond)
	send()
	assert.Equal(t, 2, tokens.count(), "an expired token is refreshed")
	assert.Equal(t, []string{"Bearer ya29.token-1", "Bearer ya29.token-1", "Bearer ya29.token-2"}, seen)
}

func TestFCM_ServiceAccountKeyRejected(t *testing.T) {
	t.Parallel()
	for _, key := range []string{`{"type":"service_account"}`, `not json`, `{"type":"authorized_user"}`} {
		_, err := notify.ServiceAccountToken([]byte(key), nil)
		require.ErrorContains(t, err, "fcm service account key", key)
	}
}
