package notifications

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// reserveQuota counts the SMS and email messages a job of an organization
// will send (its audience with a verified phone or address, per channel)
// and reserves them from the organization's daily quota, in the job's
// transaction: a job over quota is ResourceExhausted and nothing of it is
// stored or sent. Platform-wide jobs (staff only) have no quota.
func (s *notificationServer) reserveQuota(ctx context.Context, tx bun.Tx, job *db.NotificationJob) error {
	if job.OrganizationID == nil {
		return nil
	}
	var wanted int64
	for _, ch := range job.Channels {
		if ch != enums.ChannelSMS && ch != enums.ChannelEmail {
			continue
		}
		n, err := db.CountReachable(ctx, tx, job.Criteria, ch)
		if err != nil {
			return err
		}
		wanted += n
	}
	if wanted == 0 {
		return nil
	}
	err := db.ReserveSendQuota(ctx, tx, *job.OrganizationID, s.Now(), wanted, int64(s.DailySendQuota))
	if exceeded := (*db.QuotaExceededError)(nil); errors.As(err, &exceeded) {
		return connect.NewError(connect.CodeResourceExhausted, exceeded)
	}
	return err
}
