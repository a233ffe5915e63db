package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// FCMScope is the OAuth 2 scope FCM HTTP v1 requires.
const FCMScope = "https://www.googleapis.com/auth/firebase.messaging"

// ServiceAccountToken returns an FCMConfig.TokenSource that signs in as the
// Google service account whose JSON key is keyJSON (the file the Firebase
// console downloads): it exchanges a JWT signed with the key for an access
// token at the key's token_uri, reuses that token for every message, and
// fetches a new one shortly before it expires (Google's last an hour).
// hc makes the token calls; nil means a client with a 10 s timeout.
func ServiceAccountToken(keyJSON []byte, hc *http.Client) (func(context.Context) (string, error), error) {
	conf, err := google.JWTConfigFromJSON(keyJSON, FCMScope)
	if err != nil {
		return nil, fmt.Errorf("fcm service account key: %w", err)
	}
	if conf.Email == "" || len(conf.PrivateKey) == 0 {
		return nil, errors.New("fcm service account key: client_email and private_key are required; use the JSON key the Firebase console downloads")
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	// The token source keeps this context for every refresh; it only
	// carries the HTTP client, the client's timeout bounds each call.
	ts := conf.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, hc))
	return func(context.Context) (string, error) {
		tok, err := ts.Token()
		if err != nil {
			return "", fmt.Errorf("fcm service account %s: %w", conf.Email, err)
		}
		return tok.AccessToken, nil
	}, nil
}
