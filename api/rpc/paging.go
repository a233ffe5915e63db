package rpc

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

// Page is one page request of a keyset-paginated list.
type Page[K any] struct {
	// LastKey and LastID are the sort key and ID of the last row of the
	// previous page; zero values on the first page.
	LastKey K
	LastID  uuid.UUID
	// Size is the number of rows the page shows.
	Size   int
	format func(K) string
}

// Limit is the number of rows to fetch: one more than the page, the
// look-ahead row telling whether another page exists.
func (p Page[K]) Limit() int { return p.Size + 1 }

// TimePage decodes the page request of a list sorted by (time, id), e.g.
// (created_at, id). rpc names the call the token comes from, for the error
// message; size 0 means def rows.
func TimePage(rpc, token string, size int32, def int) (Page[time.Time], error) {
	return parsePage(rpc, token, size, def, formatTime, parseTime)
}

// NamePage decodes the page request of a list sorted by (text, id), e.g.
// a venue's (name, id).
func NamePage(rpc, token string, size int32, def int) (Page[string], error) {
	return parsePage(rpc, token, size, def, func(s string) string { return s }, func(s string) (string, error) { return s, nil })
}

// NextPage drops the look-ahead row fetched with p.Limit and returns the
// rows to show with the token of the next page ("" on the last page). key
// gives a row's sort key and ID.
func NextPage[T, K any](p Page[K], rows []T, key func(*T) (K, uuid.UUID)) ([]T, string) {
	if len(rows) <= p.Size {
		return rows, ""
	}
	rows = rows[:p.Size]
	k, id := key(&rows[p.Size-1])
	return rows, encodeToken(id, p.format(k))
}

func parsePage[K any](rpc, token string, size int32, def int, format func(K) string, parse func(string) (K, error)) (Page[K], error) {
	p := Page[K]{Size: int(size), format: format}
	if p.Size <= 0 {
		p.Size = def
	}
	if token == "" {
		return p, nil
	}
	bad := InvalidField("page_token", "not a token returned by "+rpc)
	id, raw, ok := decodeToken(token)
	if !ok {
		return Page[K]{}, bad
	}
	k, err := parse(raw)
	if err != nil {
		return Page[K]{}, bad
	}
	p.LastKey, p.LastID = k, id
	return p, nil
}

func encodeToken(id uuid.UUID, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id.String() + "|" + key))
}

func decodeToken(token string) (uuid.UUID, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return uuid.Nil, "", false
	}
	idStr, key, ok := strings.Cut(string(raw), "|")
	id, err := uuid.Parse(idStr)
	if !ok || err != nil {
		return uuid.Nil, "", false
	}
	return id, key, true
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
