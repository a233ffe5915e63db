package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// recognitionOrg makes an organization with n members and returns their ids.
func recognitionOrg(t *testing.T, d *db.DB, n int) (uuid.UUID, []uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	org := &db.Organization{ID: db.NewID(), Name: "Thanks", Slug: "thanks-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	users := make([]uuid.UUID, n)
	for i := range users {
		u, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1416%07d", (time.Now().UnixNano()+int64(i))%10_000_000))
		require.NoError(t, err)
		require.NoError(t, db.InsertMember(ctx, d, &db.Member{ID: db.NewID(), OrganizationID: org.ID, UserID: u.ID, Role: db.RoleMember}))
		users[i] = u.ID
	}
	return org.ID, users
}

func newRecognition(orgID, from, to uuid.UUID) *db.Recognition {
	return &db.Recognition{OrganizationID: orgID, SenderUserID: from, RecipientUserID: to, Message: "thanks", Points: 5,
		Visibility: enums.RecognitionPublic, Status: enums.RecognitionPending, AllowanceMonth: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		ExpiresAt: time.Now().Add(db.RecognitionExpiry)}
}

// TestRecognitions_SchemaRefusesWhatTheRulesForbid checks the constraints
// the API leans on: no self-recognition, members of one organization only,
// an allowance never spent past its grant.
func TestRecognitions_SchemaRefusesWhatTheRulesForbid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgA, a := recognitionOrg(t, d, 2)
	_, b := recognitionOrg(t, d, 1)

	require.ErrorContains(t, db.InsertRecognition(ctx, d, newRecognition(orgA, a[0], a[0])), "recognitions_not_self")
	require.ErrorContains(t, db.InsertRecognition(ctx, d, newRecognition(orgA, a[0], b[0])), "foreign key")
	require.NoError(t, db.InsertRecognition(ctx, d, newRecognition(orgA, a[0], a[1])))

	_, err := d.NewInsert().Model(&db.RecognitionAllowance{OrganizationID: orgA, UserID: a[0],
		MonthKey: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Granted: 10, Spent: 11}).Exec(ctx)
	require.ErrorContains(t, err, "recognition_allowances_within")
}

// TestRecognitions_CommentsCountStaysExact adds 30 comments at once and
// deletes some: comments_count always equals the rows.
func TestRecognitions_CommentsCountStaysExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, users := recognitionOrg(t, d, 2)
	r := newRecognition(orgID, users[0], users[1])
	require.NoError(t, db.InsertRecognition(ctx, d, r))

	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			assert.NoError(t, db.InsertRecognitionComment(ctx, d, &db.RecognitionComment{OrganizationID: orgID,
				RecognitionID: r.ID, AuthorUserID: users[i%2], Body: "well done"}))
		})
	}
	wg.Wait()
	_, err := d.NewDelete().Model((*db.RecognitionComment)(nil)).
		Where("id IN (SELECT id FROM recognition_comments WHERE recognition_id = ? ORDER BY id LIMIT 4)", r.ID).Exec(ctx)
	require.NoError(t, err)

	got, err := db.RecognitionByID(ctx, d, r.ID)
	require.NoError(t, err)
	assert.Equal(t, 26, got.CommentsCount)
	comments, err := db.RecognitionComments(ctx, d, r.ID, time.Time{}, uuid.Nil, 100)
	require.NoError(t, err)
	assert.Len(t, comments, 26)
}

// TestSpendAllowance_NeverOverspends spends 7 points 20 times at once from
// an allowance of 100: exactly 14 succeed and the rest are refused.
func TestSpendAllowance_NeverOverspends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, users := recognitionOrg(t, d, 1)
	month := db.AllowanceMonth(time.Now(), "Asia/Kolkata")

	var wg sync.WaitGroup
	results := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			results <- d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := db.SpendAllowance(ctx, tx, orgID, users[0], month, 100, 7)
				return err
			})
		})
	}
	wg.Wait()
	close(results)
	accepted := 0
	for err := range results {
		if err == nil {
			accepted++
			continue
		}
		require.ErrorIs(t, err, db.ErrAllowanceExhausted)
	}
	assert.Equal(t, 14, accepted)
	a, err := db.AllowanceOf(ctx, d, orgID, users[0], month, 100)
	require.NoError(t, err)
	assert.Equal(t, 98, a.Spent)

	require.NoError(t, d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.RefundAllowance(ctx, tx, orgID, users[0], month, 7)
	}))
	a, err = db.AllowanceOf(ctx, d, orgID, users[0], month, 100)
	require.NoError(t, err)
	assert.Equal(t, 91, a.Spent)
	assert.Equal(t, 9, a.Remaining())
}

func TestAllowanceMonth_UsesTheOrganizationZone(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC) // already December 1st in Kolkata
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), db.AllowanceMonth(at, "Asia/Kolkata"))
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), db.AllowanceMonth(at, "UTC"))
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), db.AllowanceMonth(at, "Not/AZone"))
}
