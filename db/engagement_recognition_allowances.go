package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ErrAllowanceExhausted is returned by SpendAllowance when the member has
// fewer points left to give this month than the recognition asks for.
var ErrAllowanceExhausted = errors.New("not enough recognition allowance left this month")

// RecognitionAllowance is what a member may give away in recognitions in
// one month (MonthKey, the first day in the organization's zone).
type RecognitionAllowance struct {
	bun.BaseModel `bun:"table:recognition_allowances,alias:ral"`

	OrganizationID uuid.UUID `bun:"organization_id,pk,type:uuid"`
	UserID         uuid.UUID `bun:"user_id,pk,type:uuid"`
	MonthKey       time.Time `bun:"month_key,pk,type:date"`
	Granted        int       `bun:"granted,notnull"`
	Spent          int       `bun:"spent,notnull"`
	Timestamps
}

// Remaining is what the member may still give this month.
func (a *RecognitionAllowance) Remaining() int { return a.Granted - a.Spent }

// AllowanceMonth is the first day of the month that holds at in the
// organization's time zone (UTC if the zone is unknown), the key of the
// allowance a recognition sent at that moment is paid from.
func AllowanceMonth(at time.Time, zone string) time.Time {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	y, m, _ := at.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// AllowanceOf returns a member's allowance of month; a month without a
// row yet is granted in full and nothing spent (not stored).
func AllowanceOf(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID, month time.Time, granted int) (*RecognitionAllowance, error) {
	a := RecognitionAllowance{OrganizationID: orgID, UserID: userID, MonthKey: month, Granted: granted}
	err := idb.NewSelect().Model(&a).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return &a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("allowance of %s: %w", userID, err)
	}
	return &a, nil
}

// SpendAllowance takes points from the member's allowance of month in tx,
// creating the row with granted the first time. The one UPDATE both checks
// and spends under the row's lock, so concurrent sends never overspend:
// ErrAllowanceExhausted when too little is left.
func SpendAllowance(ctx context.Context, tx bun.Tx, orgID, userID uuid.UUID, month time.Time, granted, points int) (*RecognitionAllowance, error) {
	a := RecognitionAllowance{OrganizationID: orgID, UserID: userID, MonthKey: month, Granted: granted}
	if _, err := tx.NewInsert().Model(&a).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("open allowance of %s: %w", userID, err)
	}
	res, err := tx.NewUpdate().Model(&a).WherePK().
		Set("spent = spent + ?", points).Set("updated_at = now()").
		Where("spent + ? <= granted", points).
		Returning("granted, spent, created_at, updated_at").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("spend allowance of %s: %w", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("spend allowance of %s: %w", userID, err)
	} else if n == 0 {
		return nil, ErrAllowanceExhausted
	}
	return &a, nil
}

// RefundAllowance gives points back to the member's allowance of month.
func RefundAllowance(ctx context.Context, tx bun.Tx, orgID, userID uuid.UUID, month time.Time, points int) error {
	if points == 0 {
		return nil
	}
	_, err := tx.NewUpdate().Model((*RecognitionAllowance)(nil)).
		Set("spent = spent - ?", points).Set("updated_at = now()").
		Where("organization_id = ? AND user_id = ? AND month_key = ?", orgID, userID, month).Exec(ctx)
	if err != nil {
		return fmt.Errorf("refund allowance of %s: %w", userID, err)
	}
	return nil
}
