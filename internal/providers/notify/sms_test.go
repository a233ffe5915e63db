package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/sms"
)

func TestSMS_AdaptsSMSSender(t *testing.T) {
	t.Parallel()
	log := sms.NewLogSender(slog.New(slog.DiscardHandler))
	var s notify.Sender = notify.NewSMS(log)
	assert.Equal(t, enums.ChannelSMS, s.Channel())

	id, err := s.Send(context.Background(), msg("item-1", "+14155550100"))
	require.NoError(t, err)
	got := log.Sent("+14155550100")
	require.Len(t, got, 1)
	assert.Equal(t, id, got[0].ID)
	assert.Equal(t, "Doors open\nSee you at 19:00", got[0].Body)

	_, err = s.Send(context.Background(), msg("", "+14155550100"))
	assert.True(t, errors.Is(err, notify.ErrPermanent), "missing key is rejected before sending")
}
