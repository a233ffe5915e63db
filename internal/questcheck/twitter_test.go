package questcheck_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
)

func twitterCheck(handle string) questcheck.Check {
	return questcheck.Check{Task: questcheck.Task{ID: "t1", Kind: enums.TaskKindTwitterFollow,
		Config: json.RawMessage(`{"handle":"ConveneHQ"}`)}, Accounts: questcheck.Accounts{TwitterHandle: handle}}
}

// fakeXAPI knows ada (id 1, follows ConveneHQ on her second page of
// follows) and bob (id 2, follows nobody); "limited" is rate limited and
// a token other than x-token is refused.
func fakeXAPI(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case r.Header.Get("Authorization") != "Bearer x-token":
			w.WriteHeader(http.StatusUnauthorized)
		case p == "/2/users/by/username/ada":
			_, _ = io.WriteString(w, `{"data":{"id":"1","username":"ada"}}`)
		case p == "/2/users/by/username/bob":
			_, _ = io.WriteString(w, `{"data":{"id":"2","username":"bob"}}`)
		case p == "/2/users/by/username/limited":
			w.WriteHeader(http.StatusTooManyRequests)
		case strings.HasPrefix(p, "/2/users/by/username/"):
			_, _ = io.WriteString(w, `{"errors":[{"title":"Not Found Error"}]}`)
		case p == "/2/users/1/following" && r.URL.Query().Get("pagination_token") == "":
			_, _ = io.WriteString(w, `{"data":[{"id":"9","username":"someone"}],"meta":{"next_token":"p2"}}`)
		case p == "/2/users/1/following" && r.URL.Query().Get("pagination_token") == "p2":
			_, _ = io.WriteString(w, `{"data":[{"id":"10","username":"convenehq"}],"meta":{}}`)
		case p == "/2/users/2/following":
			_, _ = io.WriteString(w, `{"meta":{"result_count":0}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestTwitterFollow_AsksTheXAPI: a follow found on any page passes; none,
// an unknown handle or no linked account does not; a rate limit is
// transient; no token or a refused one is review.
func TestTwitterFollow_AsksTheXAPI(t *testing.T) {
	t.Parallel()
	srv := fakeXAPI(t)
	live := questcheck.NewTwitterFollow("x-token", srv.URL, srv.Client())
	tests := []struct {
		handle  string
		verdict questcheck.Verdict
		wantErr bool
	}{
		{handle: "@ada", verdict: questcheck.Verdict{Valid: true}},
		{handle: "bob", verdict: questcheck.Verdict{Reason: "you do not follow the account yet"}},
		{handle: "ghost", verdict: questcheck.Verdict{Reason: "X account @ghost was not found"}},
		{handle: "", verdict: questcheck.Verdict{Reason: "link your X account first"}},
		{handle: "limited", wantErr: true},
	}
	for _, tt := range tests {
		t.Run("handle "+tt.handle, func(t *testing.T) {
			v, err := live.Verify(context.Background(), twitterCheck(tt.handle))
			if tt.wantErr {
				require.Error(t, err)
				assert.NotErrorIs(t, err, questcheck.ErrUnconfigured)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.verdict, v)
		})
	}
	_, err := questcheck.NewTwitterFollow("", srv.URL, srv.Client()).Verify(context.Background(), twitterCheck("ada"))
	require.ErrorIs(t, err, questcheck.ErrUnconfigured)
	_, err = questcheck.NewTwitterFollow("wrong", srv.URL, srv.Client()).Verify(context.Background(), twitterCheck("ada"))
	require.ErrorIs(t, err, questcheck.ErrUnconfigured, "a refused token: a person decides")
}

// TestTwitterSandbox_AnswersFromMemory: SetFollows decides, handles in
// any case and with or without @.
func TestTwitterSandbox_AnswersFromMemory(t *testing.T) {
	t.Parallel()
	sb := questcheck.NewTwitterSandbox()
	sb.SetFollows("Ada", "@conveneHQ", true)
	v, err := sb.Verify(context.Background(), twitterCheck("@ada"))
	require.NoError(t, err)
	assert.True(t, v.Valid)
	v, err = sb.Verify(context.Background(), twitterCheck("bob"))
	require.NoError(t, err)
	assert.Equal(t, questcheck.Verdict{Reason: "you do not follow the account yet"}, v)
	sb.SetFollows("ada", "convenehq", false)
	v, err = sb.Verify(context.Background(), twitterCheck("ada"))
	require.NoError(t, err)
	assert.False(t, v.Valid)
}
