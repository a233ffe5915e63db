package notify_test

import (
	"bufio"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a tiny SMTP server on 127.0.0.1 that speaks just enough of
// the protocol for net/smtp (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET,
// QUIT) and records each accepted message.
type fakeSMTP struct {
	addr string
	// replies overrides the reply to a command ("MAIL", "RCPT", "DATA" for
	// the reply after the message body), e.g. "550 5.1.1 no such user".
	replies map[string]string
	auth    bool

	mu       sync.Mutex
	messages []smtpTransaction
}

// smtpTransaction is one message as the server received it.
type smtpTransaction struct {
	Auth string // "identity\x00user\x00password" from AUTH PLAIN
	From string
	To   []string
	Data string // dot-unstuffed, CRLF line endings
}

// startFakeSMTP starts a server that answers replies instead of "250 OK"
// and, if auth, offers AUTH PLAIN. It stops when the test ends.
func startFakeSMTP(t *testing.T, auth bool, replies map[string]string) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{addr: ln.Addr().String(), replies: replies, auth: auth}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(conn) })
		}
	})
	return s
}

// received returns the accepted messages.
func (s *fakeSMTP) received() []smtpTransaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpTransaction(nil), s.messages...)
}

// serve runs one SMTP session.
func (s *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	reply := func(line string) { _, _ = conn.Write([]byte(line + "\r\n")) }
	orOK := func(cmd string) string {
		if v, ok := s.replies[cmd]; ok {
			return v
		}
		return "250 OK"
	}
	var tx smtpTransaction
	reply("220 fake.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			if s.auth {
				reply("250-fake.test")
				reply("250-AUTH PLAIN")
			}
			reply("250 8BITMIME")
		case "AUTH":
			creds, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "AUTH PLAIN "))
			tx.Auth = string(creds)
			reply("235 2.7.0 Authentication successful")
		case "MAIL":
			tx.From = between(line, "<", ">")
			reply(orOK("MAIL"))
		case "RCPT":
			tx.To = append(tx.To, between(line, "<", ">"))
			reply(orOK("RCPT"))
		case "DATA":
			reply("354 End data with <CR><LF>.<CR><LF>")
			data, ok := readData(r)
			if !ok {
				return
			}
			tx.Data = data
			if rep := orOK("DATA"); strings.HasPrefix(rep, "250") {
				s.mu.Lock()
				s.messages = append(s.messages, tx)
				s.mu.Unlock()
			}
			reply(orOK("DATA"))
		case "RSET", "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 Bye")
			return
		default:
			reply("502 5.5.2 Command not implemented")
		}
	}
}

// readData reads a DATA body up to the lone "." and undoes dot-stuffing.
func readData(r *bufio.Reader) (string, bool) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		if line == ".\r\n" {
			return b.String(), true
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
}

// between returns the text between the first open and the next close.
func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(rest, close)
	return v
}
