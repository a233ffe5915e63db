package sms_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/sms"
)

func TestTwilioSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		wantID  string
		wantErr string
	}{
		{"accepted", http.StatusCreated, `{"sid":"SM123"}`, "SM123", ""},
		{"refused", http.StatusBadRequest, `{"code":21211,"message":"invalid To"}`, "", "invalid To"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user, pass, ok := r.BasicAuth()
				assert.True(t, ok)
				assert.Equal(t, "AC1", user)
				assert.Equal(t, "tok", pass)
				assert.Equal(t, "/2010-04-01/Accounts/AC1/Messages.json", r.URL.Path)
				require.NoError(t, r.ParseForm())
				assert.Equal(t, "+14155550100", r.PostForm.Get("To"))
				assert.Equal(t, "+15005550006", r.PostForm.Get("From"))
				assert.Equal(t, "hello", r.PostForm.Get("Body"))
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			tw, err := sms.NewTwilio(sms.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006", BaseURL: srv.URL})
			require.NoError(t, err)
			id, err := tw.Send(context.Background(), "+14155550100", "hello")
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantID, id)
		})
	}
}
