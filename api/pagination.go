package api

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Every list uses keyset pagination: a page token names the last row of the
// previous page by its ID and its sort key, base64url-encoded so clients
// treat it as opaque. The ID goes first: it never holds the "|" separator,
// while a sort key (a venue name) may.

// encodeKeyset makes a page token from the last row of a page.
func encodeKeyset(id uuid.UUID, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id.String() + "|" + key))
}

// decodeKeyset inverts encodeKeyset; rpc names the call tokens come from.
func decodeKeyset(token, rpc string) (uuid.UUID, string, error) {
	bad := invalidField("page_token", "not a token returned by "+rpc)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return uuid.Nil, "", bad
	}
	idStr, key, ok := strings.Cut(string(raw), "|")
	id, err := uuid.Parse(idStr)
	if !ok || err != nil {
		return uuid.Nil, "", bad
	}
	return id, key, nil
}

// pageToken is the token of a list sorted by (time, id).
func pageToken(t time.Time, id uuid.UUID) string {
	return encodeKeyset(id, t.UTC().Format(time.RFC3339Nano))
}

// decodeTimeCursor inverts pageToken; zero values for the first page.
func decodeTimeCursor(token, rpc string) (time.Time, uuid.UUID, error) {
	if token == "" {
		return time.Time{}, uuid.Nil, nil
	}
	id, key, err := decodeKeyset(token, rpc)
	if err != nil {
		return time.Time{}, uuid.Nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, key)
	if err != nil {
		return time.Time{}, uuid.Nil, invalidField("page_token", "not a token returned by "+rpc)
	}
	return t, id, nil
}

// pageOf decodes a (time, id) token and the page size (default 50).
func pageOf(token string, size int32) (time.Time, uuid.UUID, int, error) {
	limit := int(size)
	if limit <= 0 {
		limit = defaultTicketingPageSize
	}
	t, id, err := decodeTimeCursor(token, "this list")
	return t, id, limit, err
}
