package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

func TestPurgeCredentials_DeletesOnlyWhatExpiredLongAgo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	now := time.Now()
	user, _, err := db.CreateUserWithPhone(ctx, d, "+14155550150")
	require.NoError(t, err)

	otp := func(expires time.Time) *db.PhoneOTP {
		o := &db.PhoneOTP{ID: db.NewID(), PhoneNumber: "+14155550150", OTPHash: []byte{1}, OTPSalt: []byte{2}, ExpiresAt: expires}
		require.NoError(t, db.InsertOTP(ctx, d, o))
		return o
	}
	token := func(expires time.Time) *db.RefreshToken {
		r := &db.RefreshToken{ID: db.NewID(), UserID: user.ID, FamilyID: db.NewID(), ExpiresAt: expires}
		r.TokenHash = []byte(r.ID.String())
		require.NoError(t, db.InsertRefreshToken(ctx, d, r))
		return r
	}
	oldOTP, freshOTP := otp(now.Add(-25*time.Hour)), otp(now.Add(-time.Hour))
	oldToken, recentToken := token(now.Add(-8*24*time.Hour)), token(now.Add(-24*time.Hour))

	w := &jobs.PurgeCredentialsWorker{DB: d, Now: func() time.Time { return now }}
	require.NoError(t, w.Work(ctx, nil))
	require.NoError(t, w.Work(ctx, nil), "a second run is harmless")

	exists := func(model any, id any) bool {
		ok, err := d.NewSelect().Model(model).Where("id = ?", id).Exists(ctx)
		require.NoError(t, err)
		return ok
	}
	assert.False(t, exists((*db.PhoneOTP)(nil), oldOTP.ID))
	assert.True(t, exists((*db.PhoneOTP)(nil), freshOTP.ID), "codes are kept a day for rate limiting")
	assert.False(t, exists((*db.RefreshToken)(nil), oldToken.ID))
	assert.True(t, exists((*db.RefreshToken)(nil), recentToken.ID), "recently expired tokens are kept to recognise reuse")
}
