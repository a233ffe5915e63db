package notify_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
)

var errOutage = errors.New("provider outage")

func msg(key, to string) notify.Message {
	return notify.Message{IdempotencyKey: key, To: to, Title: "Doors open", Body: "See you at 19:00", Data: map[string]string{"event": "e1"}}
}

func TestSandbox_DeduplicatesByIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := notify.NewSandbox(enums.ChannelPush)
	ctx := context.Background()

	first, err := s.Send(ctx, msg("item-1", "device-a"))
	require.NoError(t, err)
	again, err := s.Send(ctx, msg("item-1", "device-a"))
	require.NoError(t, err)
	other, err := s.Send(ctx, msg("item-2", "device-a"))
	require.NoError(t, err)

	assert.Equal(t, first, again, "a repeat answers with the first ID")
	assert.NotEqual(t, first, other)
	assert.Equal(t, 2, s.Count())
	assert.Equal(t, enums.ChannelPush, s.Channel())
}

func TestSandbox_Failures(t *testing.T) {
	t.Parallel()
	permanent := fmt.Errorf("device unregistered: %w", notify.ErrPermanent)
	tests := []struct {
		name          string
		arrange       func(s *notify.Sandbox)
		sends         []notify.Message
		wantErrs      []error // per send; nil: delivered
		wantPermanent []bool
		wantCount     int
	}{
		{
			name:          "fail next n, then deliver",
			arrange:       func(s *notify.Sandbox) { s.FailNext(2, errOutage) },
			sends:         []notify.Message{msg("k1", "a"), msg("k1", "a"), msg("k1", "a")},
			wantErrs:      []error{errOutage, errOutage, nil},
			wantPermanent: []bool{false, false, false},
			wantCount:     1,
		},
		{
			name:          "fail next with a permanent error",
			arrange:       func(s *notify.Sandbox) { s.FailNext(1, permanent) },
			sends:         []notify.Message{msg("k1", "a")},
			wantErrs:      []error{permanent},
			wantPermanent: []bool{true},
		},
		{
			name:          "fail next with nil error is generic and retryable",
			arrange:       func(s *notify.Sandbox) { s.FailNext(1, nil) },
			sends:         []notify.Message{msg("k1", "a"), msg("k1", "a")},
			wantErrs:      []error{errors.New("sandbox: injected failure"), nil},
			wantPermanent: []bool{false, false},
			wantCount:     1,
		},
		{
			name:          "fail for one recipient only",
			arrange:       func(s *notify.Sandbox) { s.FailFor("bad", permanent) },
			sends:         []notify.Message{msg("k1", "bad"), msg("k2", "good"), msg("k1", "bad")},
			wantErrs:      []error{permanent, nil, permanent},
			wantPermanent: []bool{true, false, true},
			wantCount:     1,
		},
		{
			name: "fail for cleared with nil",
			arrange: func(s *notify.Sandbox) {
				s.FailFor("bad", permanent)
				s.FailFor("bad", nil)
			},
			sends:         []notify.Message{msg("k1", "bad")},
			wantErrs:      []error{nil},
			wantPermanent: []bool{false},
			wantCount:     1,
		},
		{
			name:          "missing idempotency key is a permanent caller bug",
			sends:         []notify.Message{msg("", "a")},
			wantErrs:      []error{errors.New("email message has no IdempotencyKey; set it to the notification item's ID: " + notify.ErrPermanent.Error())},
			wantPermanent: []bool{true},
		},
		{
			name:          "missing recipient",
			sends:         []notify.Message{msg("k1", "")},
			wantErrs:      []error{errors.New("email message has no recipient (To): " + notify.ErrPermanent.Error())},
			wantPermanent: []bool{true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := notify.NewSandbox(enums.ChannelEmail)
			if tc.arrange != nil {
				tc.arrange(s)
			}
			for i, m := range tc.sends {
				id, err := s.Send(context.Background(), m)
				if tc.wantErrs[i] == nil {
					require.NoError(t, err, "send %d", i)
					assert.NotEmpty(t, id)
					continue
				}
				require.EqualError(t, err, tc.wantErrs[i].Error(), "send %d", i)
				assert.Equal(t, tc.wantPermanent[i], errors.Is(err, notify.ErrPermanent), "send %d", i)
			}
			assert.Equal(t, tc.wantCount, s.Count())
		})
	}
}

func TestSandbox_Inspect(t *testing.T) {
	t.Parallel()
	s := notify.NewSandbox(enums.ChannelTelegram)
	ctx := context.Background()
	for i, to := range []string{"chat-1", "chat-2", "chat-1"} {
		_, err := s.Send(ctx, msg(fmt.Sprint("k", i), to))
		require.NoError(t, err)
	}

	sent := s.Sent()
	require.Len(t, sent, 3)
	assert.Equal(t, []string{"k0", "k1", "k2"}, []string{sent[0].IdempotencyKey, sent[1].IdempotencyKey, sent[2].IdempotencyKey})
	toOne := s.SentTo("chat-1")
	require.Len(t, toOne, 2)
	assert.Equal(t, "k2", toOne[1].IdempotencyKey)
	assert.Empty(t, s.SentTo("chat-3"))

	sent[0].Data["event"] = "changed"
	assert.Equal(t, "e1", s.Sent()[0].Data["event"], "callers cannot change the record")
}

func TestSandbox_CanceledContext(t *testing.T) {
	t.Parallel()
	s := notify.NewSandbox(enums.ChannelSMS)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Send(ctx, msg("k1", "+14155550100"))
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, s.Count())
}

func TestSandbox_ConcurrentRepeatsDeliverOnce(t *testing.T) {
	t.Parallel()
	s := notify.NewSandbox(enums.ChannelPush)
	ids := make([]string, 50)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			id, err := s.Send(context.Background(), msg(fmt.Sprint("k", i%5), "device"))
			assert.NoError(t, err)
			ids[i] = id
		})
	}
	wg.Wait()
	assert.Equal(t, 5, s.Count())
	for i := range ids {
		assert.Equal(t, ids[i%5], ids[i])
	}
}
