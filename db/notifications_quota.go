package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// CountReachable counts the users matching c whom channel can reach today:
// for SMS those with a verified phone, for email those with a verified
// address (the only ones delivery sends to), for other channels everyone.
func CountReachable(ctx context.Context, idb bun.IDB, c Criteria, channel string) (int64, error) {
	q, err := audienceQuery(idb, c, nil)
	if err != nil {
		return 0, err
	}
	switch channel {
	case enums.ChannelSMS:
		q = q.Where("u.phone IS NOT NULL AND u.phone_verified_at IS NOT NULL")
	case enums.ChannelEmail:
		q = q.Where("u.email IS NOT NULL AND u.email_verified_at IS NOT NULL")
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count audience on %s: %w", channel, err)
	}
	return int64(n), nil
}

// QuotaExceededError refuses a reservation that would pass the daily quota.
type QuotaExceededError struct {
	Wanted, Used, Limit int64
}

func (e *QuotaExceededError) Error() string {
	return fmt.Sprintf("this job would send %d SMS/email messages, but the organization has sent or scheduled %d of its %d for today (UTC); "+
		"send fewer, use in-app or push, or wait for the next day", e.Wanted, e.Used, e.Limit)
}

// ReserveSendQuota adds n to the SMS and email messages orgID has used on
// day (UTC), unless that would pass limit: then it returns a
// *QuotaExceededError and changes nothing. The usage row is locked by
// the update, so concurrent jobs cannot both slip under the limit.
func ReserveSendQuota(ctx context.Context, idb bun.IDB, orgID uuid.UUID, day time.Time, n, limit int64) error {
	day = day.UTC().Truncate(24 * time.Hour)
	_, err := idb.NewRaw(`INSERT INTO notification_quota_usage (organization_id, day) VALUES (?, ?::date) ON CONFLICT DO NOTHING`,
		orgID, day.Format(time.DateOnly)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("start quota of the day: %w", err)
	}
	var used int64
	err = idb.NewRaw(`UPDATE notification_quota_usage SET used = used + ?, updated_at = now()
		WHERE organization_id = ? AND day = ?::date AND used + ? <= ? RETURNING used`,
		n, orgID, day.Format(time.DateOnly), n, limit).Scan(ctx, &used)
	if errors.Is(err, sql.ErrNoRows) {
		used, err = SendQuotaUsed(ctx, idb, orgID, day)
		if err != nil {
			return err
		}
		return &QuotaExceededError{Wanted: n, Used: used, Limit: limit}
	}
	if err != nil {
		return fmt.Errorf("reserve send quota: %w", err)
	}
	return nil
}

// SendQuotaUsed is how many SMS and email messages orgID has reserved on
// day (UTC).
func SendQuotaUsed(ctx context.Context, idb bun.IDB, orgID uuid.UUID, day time.Time) (int64, error) {
	var used int64
	err := idb.NewRaw(`SELECT coalesce(sum(used), 0) FROM notification_quota_usage WHERE organization_id = ? AND day = ?::date`,
		orgID, day.UTC().Format(time.DateOnly)).Scan(ctx, &used)
	if err != nil {
		return 0, fmt.Errorf("read send quota: %w", err)
	}
	return used, nil
}
