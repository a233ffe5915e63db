package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
)

const requestOtpPath = "/convene.identity.v1.AuthService/RequestOtp"

// requestOtpJSON is a RequestOtp body for phone padded with pad bytes of
// JSON whitespace: still a valid request, only too large.
func requestOtpJSON(phone string, pad int) []byte {
	return []byte(`{"phone":"` + phone + `"` + strings.Repeat(" ", pad) + `}`)
}

// gzipped compresses prefix, size bytes of padding and suffix without
// holding the inflated message in memory.
func gzipped(t *testing.T, prefix []byte, padding byte, size int, suffix []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(prefix)
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte{padding}, 1<<20)
	for written := 0; written < size; written += len(chunk) {
		_, err = zw.Write(chunk[:min(len(chunk), size-written)])
		require.NoError(t, err)
	}
	_, err = zw.Write(suffix)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// postConnect sends body to RequestOtp with the Connect protocol and
// returns the HTTP status and the Connect error code of the answer ("" on
// success).
func postConnect(t *testing.T, a *testenv.API, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL+requestOtpPath, bytes.NewReader(body))
	require.NoError(t, err)
	if header != nil {
		req.Header = header.Clone()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var answer struct {
		Code string `json:"code"`
	}
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &answer), "answer: %s", raw)
	}
	return resp.StatusCode, answer.Code
}

// requireNothingSent asserts phone got no code: no OTP row, no SMS.
func requireNothingSent(t *testing.T, a *testenv.API, phone string) {
	t.Helper()
	n, err := db.CountOTPsSince(context.Background(), a.DB, phone, time.Time{})
	require.NoError(t, err)
	assert.Zero(t, n, "otp rows for %s", phone)
	assert.Empty(t, a.SMS.Sent(phone), "SMS to %s", phone)
}

// requireRefusedAsTooLarge accepts either answer the issue allows: the
// Connect code resource_exhausted, or HTTP 413 before Connect reads it.
func requireRefusedAsTooLarge(t *testing.T, status int, code string) {
	t.Helper()
	if status == http.StatusRequestEntityTooLarge {
		return
	}
	assert.Equal(t, connect.CodeResourceExhausted.String(), code, "HTTP status %d", status)
}

func TestRequestLimits_OversizedBodyIsRefused(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil)

	// The same request, small, is served: the size alone refuses the big one.
	small := newPhone()
	status, code := postConnect(t, a, requestOtpJSON(small, 10), nil)
	require.Equal(t, http.StatusOK, status, "code %s", code)
	require.Len(t, a.SMS.Sent(small), 1)

	big := newPhone()
	status, code = postConnect(t, a, requestOtpJSON(big, 2<<20), nil)
	requireRefusedAsTooLarge(t, status, code)
	requireNothingSent(t, a, big)
}

func TestRequestLimits_GzipBombIsRefused(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil)

	// The same request gzipped is served: compression itself is accepted.
	small := newPhone()
	header := http.Header{"Content-Encoding": []string{"gzip"}}
	status, code := postConnect(t, a, gzipped(t, requestOtpJSON(small, 0), ' ', 0, nil), header)
	require.Equal(t, http.StatusOK, status, "code %s", code)
	require.Len(t, a.SMS.Sent(small), 1)

	// About 130 KiB on the wire, 128 MiB of valid JSON once inflated.
	big := newPhone()
	bomb := gzipped(t, []byte(`{"phone":"`+big+`"`), ' ', 128<<20, []byte(`}`))
	require.Less(t, len(bomb), 1<<20, "the bomb must pass the raw body limit to test the inflated one")
	status, code = postConnect(t, a, bomb, header)
	requireRefusedAsTooLarge(t, status, code)
	requireNothingSent(t, a, big)
}

func TestRequestLimits_GRPCGzipBombIsRefused(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil)
	phone := newPhone()

	// A RequestOtpRequest whose phone field (1, length-delimited) holds
	// 128 MiB, compressed in one gRPC envelope.
	const size = 128 << 20
	field := append([]byte{1<<3 | 2}, binary.AppendUvarint(nil, size)...)
	bomb := gzipped(t, field, '1', size, nil)
	envelope := append([]byte{1}, binary.BigEndian.AppendUint32(nil, uint32(len(bomb)))...)

	req, err := http.NewRequest(http.MethodPost, a.URL+requestOtpPath, bytes.NewReader(append(envelope, bomb...)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Grpc-Encoding", "gzip")
	req.Header.Set("Te", "trailers")
	resp, err := testenv.H2CClient().Do(req)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	status := resp.Trailer.Get("Grpc-Status")
	if status == "" { // a trailers-only answer
		status = resp.Header.Get("Grpc-Status")
	}
	assert.Equal(t, fmt.Sprint(int(connect.CodeResourceExhausted)), status, "grpc-message %q", resp.Trailer.Get("Grpc-Message")+resp.Header.Get("Grpc-Message"))
	requireNothingSent(t, a, phone)
}

func TestRequestLimits_GzipClientIsServed(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil)
	// A generated gRPC client sending and accepting gzip talks to the
	// server's capped gzip.
	client := identityv1connect.NewAuthServiceClient(testenv.H2CClient(), a.URL, connect.WithGRPC(), connect.WithSendGzip())
	phone := newPhone()
	_, err := client.RequestOtp(context.Background(), connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	require.Len(t, a.SMS.Sent(phone), 1)
}

func TestReadyz_NamesTheDependencyNotItsError(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil)
	a.DB.Close() // the database goes away

	resp, err := a.HTTP.Get(a.URL + "/readyz")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var answer struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(body, &answer), "body: %s", body)
	assert.Equal(t, "not ready", answer.Status)
	assert.Equal(t, map[string]string{"database": "unavailable", "temporal": "not configured"}, answer.Checks)
	assert.NotContains(t, string(body), "closed", "the error detail stays in the log")
}

func TestResponses_SmallAnswersAreNotGzipped(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil)
	req, err := http.NewRequest(http.MethodPost, a.URL+requestOtpPath, bytes.NewReader(requestOtpJSON(newPhone(), 0)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	// Set by hand, so the transport hands back the body as sent.
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := a.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "answer: %s", raw)
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "an answer under a kilobyte is sent as is")
	assert.True(t, json.Valid(raw), "the answer is plain JSON: %q", raw)
}
