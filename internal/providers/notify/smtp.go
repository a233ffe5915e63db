package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/convene/convene/db/enums"
)

// smtpTimeout bounds one delivery when ctx has no deadline.
const smtpTimeout = 30 * time.Second

// SMTPConfig configures the email sender.
type SMTPConfig struct {
	// Addr is the submission server, host:port (e.g. smtp.example.com:587).
	// STARTTLS is used when the server offers it; implicit TLS (port 465)
	// is not supported.
	Addr string
	// From is the sender, e.g. "Convene <no-reply@convene.example>"; its
	// domain also names our Message-IDs.
	From string
	// Username and Password enable PLAIN auth when Username is set. net/smtp
	// refuses to send them unencrypted except to localhost.
	Username string
	Password string
}

// SMTP sends plain-text email with net/smtp; To is an email address.
//
// SMTP has no idempotency key. Each message's Message-ID is derived from
// the IdempotencyKey, so a retry after a lost reply carries the same
// Message-ID, which receiving systems and mail clients use to drop or
// collapse the duplicate.
type SMTP struct {
	cfg    SMTPConfig
	host   string
	from   *mail.Address
	domain string
	now    func() time.Time
}

// NewSMTP checks the config and returns the sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("SMTP address %q: want host:port, e.g. smtp.example.com:587", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SMTP from %q: want an address such as \"Convene <no-reply@convene.example>\": %w", cfg.From, err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return &SMTP{cfg: cfg, host: host, from: from, domain: domain, now: time.Now}, nil
}

// Channel returns "email".
func (s *SMTP) Channel() string { return enums.ChannelEmail }

// Send delivers m and returns its Message-ID. A malformed address, or a 5xx
// reply to RCPT or DATA (unknown mailbox, message rejected), is permanent;
// 4xx replies, network errors and failures before RCPT (our login or
// sender address) are retryable.
func (s *SMTP) Send(ctx context.Context, m Message) (string, error) {
	if err := m.validate(enums.ChannelEmail); err != nil {
		return "", err
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", fmt.Errorf("email address %q: %w: %w", m.To, err, ErrPermanent)
	}
	id := s.messageID(m.IdempotencyKey)
	msg := s.compose(id, to, m)
	if err := s.deliver(ctx, to.Address, msg); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("smtp send: %w", ctx.Err())
		}
		return "", err
	}
	return id, nil
}

// deliver runs one SMTP transaction, aborting when ctx ends.
func (s *SMTP) deliver(ctx context.Context, rcpt string, msg []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, smtpTimeout)
		defer cancel()
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp connect: %w", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return s.replyError("greeting", err, false)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: s.host}); err != nil {
			return s.replyError("STARTTLS", err, false)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return s.replyError("AUTH", err, false)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.replyError("MAIL FROM", err, false)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return s.replyError("RCPT TO", err, true)
	}
	w, err := c.Data()
	if err != nil {
		return s.replyError("DATA", err, true)
	}
	if _, err := w.Write(msg); err != nil {
		return s.replyError("DATA", err, true)
	}
	if err := w.Close(); err != nil {
		return s.replyError("DATA", err, true)
	}
	_ = c.Quit() // the message is accepted; a failed goodbye changes nothing
	return nil
}

// replyError turns an SMTP failure into an *Error when the server replied;
// 5xx replies are permanent only at stages where the recipient or the
// message is at fault (recipientStage).
func (s *SMTP) replyError(stage string, err error, recipientStage bool) error {
	var reply *textproto.Error
	if !errors.As(err, &reply) {
		return fmt.Errorf("smtp %s: %w", stage, err)
	}
	return &Error{Channel: enums.ChannelEmail, StatusCode: reply.Code, Code: enhancedCode(reply.Msg),
		Message: stage + ": " + reply.Msg, Permanent: recipientStage && reply.Code >= 500}
}

// enhancedCode returns the RFC 3463 status code ("5.1.1") a reply starts
// with, or "" if it has none.
func enhancedCode(msg string) string {
	code, _, _ := strings.Cut(msg, " ")
	parts := strings.Split(code, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.Contains("245", parts[0]) {
		return ""
	}
	for _, p := range parts[1:] {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return code
}

// messageID derives the Message-ID from the idempotency key: the key itself
// when it is safe in a msg-id (UUIDs are), otherwise its SHA-256.
func (s *SMTP) messageID(key string) string {
	local := key
	if strings.Trim(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		sum := sha256.Sum256([]byte(key))
		local = hex.EncodeToString(sum[:16])
	}
	return "<" + local + ".notify@" + s.domain + ">"
}

// compose builds an RFC 5322 message: headers, then the body as UTF-8
// quoted-printable so long lines and non-ASCII text survive any relay.
func (s *SMTP) compose(id string, to *mail.Address, m Message) []byte {
	subject := strings.Join(strings.Fields(m.Title), " ") // no CR/LF header injection
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", s.now().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(m.Body)) // text mode: writes every line break as CRLF
	_ = qp.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n") // a message is a sequence of complete lines
	}
	return b.Bytes()
}
