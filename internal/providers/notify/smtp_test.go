package notify_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
)

func TestSMTP_SendComposesRFC5322Message(t *testing.T) {
	t.Parallel()
	srv := startFakeSMTP(t, true, nil)
	s, err := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "Convene <no-reply@convene.example>", Username: "mailer", Password: "pw"})
	require.NoError(t, err)
	assert.Equal(t, enums.ChannelEmail, s.Channel())

	body := "Hallo Jürgen,\n.a line starting with a dot\n" + strings.Repeat("long ", 40)
	m := notify.Message{IdempotencyKey: "0b6c7a6e-2f1d-4f59-9a55-3c2f1e0d9b11", To: "Jürgen <juergen@example.org>", Title: "Tür öffnet um 19:00", Body: body}
	id, err := s.Send(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, "<0b6c7a6e-2f1d-4f59-9a55-3c2f1e0d9b11.notify@convene.example>", id)

	got := srv.received()
	require.Len(t, got, 1)
	tx := got[0]
	assert.Equal(t, "\x00mailer\x00pw", tx.Auth)
	assert.Equal(t, "no-reply@convene.example", tx.From)
	assert.Equal(t, []string{"juergen@example.org"}, tx.To)
	for _, line := range strings.SplitAfter(tx.Data, "\n") {
		assert.True(t, line == "" || strings.HasSuffix(line, "\r\n"), "CRLF line endings: %q", line)
		assert.LessOrEqual(t, len(line), 78, "lines fit the RFC 5322 limit")
	}

	parsed, err := mail.ReadMessage(strings.NewReader(tx.Data))
	require.NoError(t, err)
	h := parsed.Header
	from, err := h.AddressList("From")
	require.NoError(t, err)
	assert.Equal(t, []*mail.Address{{Name: "Convene", Address: "no-reply@convene.example"}}, from)
	to, err := h.AddressList("To")
	require.NoError(t, err)
	assert.Equal(t, []*mail.Address{{Name: "Jürgen", Address: "juergen@example.org"}}, to)
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, "Tür öffnet um 19:00", subject)
	date, err := h.Date()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), date, time.Minute)
	assert.Equal(t, id, h.Get("Message-ID"))
	assert.Equal(t, "text/plain; charset=UTF-8", h.Get("Content-Type"))
	assert.Equal(t, "quoted-printable", h.Get("Content-Transfer-Encoding"))
	assert.Equal(t, "1.0", h.Get("MIME-Version"))
	decoded, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
	require.NoError(t, err)
	assert.Equal(t, strings.ReplaceAll(body, "\n", "\r\n")+"\r\n", string(decoded))
}

func TestSMTP_SameKeySameMessageID(t *testing.T) {
	t.Parallel()
	srv := startFakeSMTP(t, false, nil)
	s, err := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@convene.example"})
	require.NoError(t, err)
	ctx := context.Background()

	first, err := s.Send(ctx, msg("item/1 with spaces", "a@example.org"))
	require.NoError(t, err)
	retry, err := s.Send(ctx, msg("item/1 with spaces", "a@example.org"))
	require.NoError(t, err)
	other, err := s.Send(ctx, msg("item-2", "a@example.org"))
	require.NoError(t, err)

	assert.Equal(t, first, retry, "a retry carries the same Message-ID")
	assert.NotEqual(t, first, other)
	_, err = mail.ParseAddress("x " + first)
	assert.NoError(t, err, "unsafe keys are hashed into a valid msg-id: %s", first)
	assert.Empty(t, srv.received()[0].Auth, "no AUTH without a username")
}

func TestSMTP_ErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		replies       map[string]string
		to            string
		wantErr       string
		wantPermanent bool
	}{
		{"unknown mailbox", map[string]string{"RCPT": "550 5.1.1 no such user"}, "nobody@example.org", "(status 550, 5.1.1): RCPT TO: 5.1.1 no such user", true},
		{"reply without enhanced code", map[string]string{"RCPT": "550 no such user"}, "nobody@example.org", "(status 550): RCPT TO: no such user", true},
		{"mailbox busy", map[string]string{"RCPT": "451 4.3.0 try again later"}, "a@example.org", "try again later", false},
		{"content rejected", map[string]string{"DATA": "554 5.7.1 rejected as spam"}, "a@example.org", "rejected as spam", true},
		{"server busy after data", map[string]string{"DATA": "452 4.3.1 insufficient storage"}, "a@example.org", "insufficient storage", false},
		{"sender refused is our config", map[string]string{"MAIL": "550 5.7.1 sender not allowed"}, "a@example.org", "sender not allowed", false},
		{"malformed address", nil, "not an address", "not an address", true},
		{"header injection attempt", nil, "a@example.org\r\nBcc: x@example.org", "email address", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startFakeSMTP(t, false, tc.replies)
			s, err := notify.NewSMTP(notify.SMTPConfig{Addr: srv.addr, From: "no-reply@convene.example"})
			require.NoError(t, err)

			_, err = s.Send(context.Background(), msg("item-1", tc.to))
			require.ErrorContains(t, err, tc.wantErr)
			assert.Equal(t, tc.wantPermanent, errors.Is(err, notify.ErrPermanent), err.Error())
			assert.Empty(t, srv.received())
		})
	}
}

func TestSMTP_ConnectionRefusedIsRetryable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	s, err := notify.NewSMTP(notify.SMTPConfig{Addr: addr, From: "no-reply@convene.example"})
	require.NoError(t, err)

	_, err = s.Send(context.Background(), msg("item-1", "a@example.org"))
	require.ErrorContains(t, err, "smtp connect")
	assert.False(t, errors.Is(err, notify.ErrPermanent))
}

func TestSMTP_ContextEndsStalledSession(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() { // accepts and never greets
		conn, err := ln.Accept()
		if err == nil {
			t.Cleanup(func() { _ = conn.Close() })
		}
	}()
	s, err := notify.NewSMTP(notify.SMTPConfig{Addr: ln.Addr().String(), From: "no-reply@convene.example"})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = s.Send(ctx, msg("item-1", "a@example.org"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestSMTP_Config(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     notify.SMTPConfig
		wantErr string
	}{
		{"valid", notify.SMTPConfig{Addr: "smtp.example.com:587", From: "Convene <no-reply@convene.example>"}, ""},
		{"no port", notify.SMTPConfig{Addr: "smtp.example.com", From: "no-reply@convene.example"}, "host:port"},
		{"bad from", notify.SMTPConfig{Addr: "smtp.example.com:587", From: "convene"}, "SMTP from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := notify.NewSMTP(tc.cfg)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
