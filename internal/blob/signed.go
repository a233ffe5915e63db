package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Signer makes and checks signed upload URLs (HMAC-SHA256 over the key,
// content type, size limit and expiry) and builds media URLs.
type Signer struct {
	secret  []byte
	baseURL string
	now     func() time.Time
}

// minSecretLen is the shortest HMAC secret NewSigner accepts.
const minSecretLen = 32

// Errors of a signed upload that does not verify.
var (
	// ErrBadSignature: the URL was not signed by us or was altered.
	ErrBadSignature = errors.New("upload URL signature is missing or invalid: request a new upload URL")
	// ErrExpired: the URL's time is up.
	ErrExpired = errors.New("upload URL expired: request a new upload URL")
)

// NewSigner signs URLs under baseURL (the API's public URL) with secret
// (at least 32 bytes). now is the clock (time.Now when nil).
func NewSigner(secret []byte, baseURL string, now func() time.Time) (*Signer, error) {
	if len(secret) < minSecretLen {
		return nil, fmt.Errorf("blob signing secret must hold at least %d bytes", minSecretLen)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{secret: secret, baseURL: strings.TrimRight(baseURL, "/"), now: now}, nil
}

// Upload is what a signed upload URL allows: one PUT of at most MaxBytes
// with ContentType to Key before Expires.
type Upload struct {
	Key         string
	MaxBytes    int64
	ContentType string
	Expires     time.Time
}

// SignPut returns the URL a client PUTs the object to: <base>/uploads/<key>
// with the limits and their signature in the query.
func (s *Signer) SignPut(key string, maxBytes int64, contentType string, expires time.Time) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if maxBytes <= 0 || contentType == "" {
		return "", errors.New("sign upload: maxBytes must be positive and contentType set")
	}
	u := Upload{Key: key, MaxBytes: maxBytes, ContentType: contentType, Expires: expires.Truncate(time.Second)}
	q := url.Values{
		"content_type": {u.ContentType},
		"max_bytes":    {strconv.FormatInt(u.MaxBytes, 10)},
		"expires":      {strconv.FormatInt(u.Expires.Unix(), 10)},
		"signature":    {s.sign(u)},
	}
	return s.baseURL + "/uploads/" + key + "?" + q.Encode(), nil
}

// MediaURL is where a stored object is served: <base>/media/<key>.
func (s *Signer) MediaURL(key string) string { return s.baseURL + "/media/" + key }

// Verify reads and checks the upload a signed URL's query allows for key.
func (s *Signer) Verify(key string, q url.Values) (Upload, error) {
	maxBytes, errMax := strconv.ParseInt(q.Get("max_bytes"), 10, 64)
	exp, errExp := strconv.ParseInt(q.Get("expires"), 10, 64)
	if errMax != nil || errExp != nil || q.Get("content_type") == "" {
		return Upload{}, ErrBadSignature
	}
	u := Upload{Key: key, MaxBytes: maxBytes, ContentType: q.Get("content_type"), Expires: time.Unix(exp, 0)}
	if !hmac.Equal([]byte(s.sign(u)), []byte(q.Get("signature"))) {
		return Upload{}, ErrBadSignature
	}
	if !s.now().Before(u.Expires) {
		return Upload{}, ErrExpired
	}
	return u, nil
}

// sign is the base64url HMAC of every field of u, one per line.
func (s *Signer) sign(u Upload) string {
	mac := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(mac, "PUT\n%s\n%s\n%d\n%d", u.Key, u.ContentType, u.MaxBytes, u.Expires.Unix())
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
