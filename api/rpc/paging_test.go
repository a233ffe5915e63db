package rpc_test

import (
	"encoding/base64"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/api/rpc"
)

type row struct {
	id   uuid.UUID
	at   time.Time
	name string
}

func rowTime(r *row) (time.Time, uuid.UUID) { return r.at, r.id }

func TestTimePage_WalksAListInPages(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	all := make([]row, 5)
	for i := range all {
		all[i] = row{id: uuid.New(), at: start.Add(time.Duration(i) * time.Second)}
	}
	var seen []row
	token := ""
	for range len(all) {
		p, err := rpc.TimePage("ListRows", token, 2, 50)
		require.NoError(t, err)
		// The "query": rows after the cursor, at most p.Limit of them.
		var fetched []row
		for _, r := range all {
			if (p.LastID == uuid.Nil || r.at.After(p.LastKey)) && len(fetched) < p.Limit() {
				fetched = append(fetched, r)
			}
		}
		page, next := rpc.NextPage(p, fetched, rowTime)
		seen = append(seen, page...)
		if token = next; token == "" {
			break
		}
	}
	assert.Equal(t, all, seen)
}

func TestTimePage_DefaultsAndBadTokens(t *testing.T) {
	t.Parallel()
	p, err := rpc.TimePage("ListRows", "", 0, 50)
	require.NoError(t, err)
	assert.Equal(t, 50, p.Size)
	assert.Equal(t, 51, p.Limit())
	assert.True(t, p.LastKey.IsZero())

	badTokens := []string{
		"%%%", // not base64
		base64.RawURLEncoding.EncodeToString([]byte("no separator")),
		base64.RawURLEncoding.EncodeToString([]byte("not-an-id|2026-01-02T03:04:05Z")),
		base64.RawURLEncoding.EncodeToString([]byte(uuid.NewString() + "|not a time")),
	}
	for _, token := range badTokens {
		_, err := rpc.TimePage("ListRows", token, 0, 50)
		require.Error(t, err, token)
		assert.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
		assert.Contains(t, err.Error(), "not a token returned by ListRows")
	}
}

func TestNamePage_KeyMayHoldTheSeparator(t *testing.T) {
	t.Parallel()
	rows := []row{{id: uuid.New(), name: "Blue | Rooftop"}, {id: uuid.New(), name: "Red"}}
	first, err := rpc.NamePage("ListVenues", "", 1, 50)
	require.NoError(t, err)
	page, next := rpc.NextPage(first, rows, func(r *row) (string, uuid.UUID) { return r.name, r.id })
	require.Len(t, page, 1)
	second, err := rpc.NamePage("ListVenues", next, 1, 50)
	require.NoError(t, err)
	assert.Equal(t, "Blue | Rooftop", second.LastKey)
	assert.Equal(t, rows[0].id, second.LastID)
}
