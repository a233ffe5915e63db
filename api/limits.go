package api

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// How much a request may send and how long it may take. Every Connect
// message is small today; a service that needs more gets its own
// readLimits(n) in mountDomains rather than a larger default.
const (
	// readMaxBytes caps one request message, after decompression.
	readMaxBytes = 1 << 20
	// bodyMaxBytes caps the raw request body: one message plus its framing
	// (gRPC envelope, gzip overhead on incompressible data). No procedure
	// takes a client stream, so one message is all a body ever carries.
	bodyMaxBytes = readMaxBytes + 64<<10
	// readTimeout bounds reading a request, headers and body, so a body
	// cannot trickle in forever.
	readTimeout = 30 * time.Second
	// writeTimeout bounds answering one request that is not a stream.
	writeTimeout = time.Minute
	// idleTimeout closes keep-alive connections nobody uses.
	idleTimeout = 2 * time.Minute
	// compressMinBytes is the smallest answer message worth gzipping.
	compressMinBytes = 1024
)

// readLimits caps each request message at maxBytes, compressed or not.
// connect-go applies WithReadMaxBytes to the decompressed message too, but
// once a message is over the limit it inflates the rest to report its
// size; the capped gzip reader stops there instead, so a gzip bomb costs
// at most maxBytes of inflating. Answers are gzipped, for clients that
// accept it, from compressMinBytes on.
func readLimits(maxBytes int) connect.HandlerOption {
	return connect.WithHandlerOptions(
		connect.WithReadMaxBytes(maxBytes),
		// Gzip costs more CPU than it saves below a kilobyte: compressing
		// every chat event of every watcher took a fifth of the CPU of
		// bench/chatfanout.
		connect.WithCompressMinBytes(compressMinBytes),
		connect.WithCompression("gzip",
			func() connect.Decompressor { return &cappedGzipReader{limit: int64(maxBytes) + 1} },
			func() connect.Compressor { return gzip.NewWriter(io.Discard) }),
	)
}

// errInflatedTooLarge ends the inflating of a message over the read limit;
// connect-go reports it as resource_exhausted.
var errInflatedTooLarge = errors.New("decompressed message exceeds the read limit")

// cappedGzipReader is a gzip reader that yields at most limit bytes per
// message and fails after that. limit is one byte more than the read
// limit, so connect-go still sees that the message is too large.
type cappedGzipReader struct {
	gz    gzip.Reader
	limit int64
	left  int64
}

func (c *cappedGzipReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errInflatedTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.gz.Read(p)
	c.left -= int64(n)
	return n, err
}

// Reset starts a new message read from r.
func (c *cappedGzipReader) Reset(r io.Reader) error {
	c.left = c.limit
	if err := c.gz.Reset(r); err != nil {
		return fmt.Errorf("read gzip header: %w", err)
	}
	return nil
}

// Close releases the message's gzip stream.
func (c *cappedGzipReader) Close() error { return c.gz.Close() }

// streamingProcedures are the procedures of the named services whose
// server or client side streams (e.g. NotificationService/WatchNotifications,
// gRPC reflection): they live as long as the client wants, so no write
// deadline applies to them. Services unknown to the proto registry have
// no streams to list.
func streamingProcedures(services []string) map[string]bool {
	streaming := map[string]bool{}
	names := append(slices.Clone(services), grpcreflect.ReflectV1ServiceName, grpcreflect.ReflectV1AlphaServiceName)
	for _, name := range names {
		desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			continue
		}
		svc, ok := desc.(protoreflect.ServiceDescriptor)
		if !ok {
			continue
		}
		for i := range svc.Methods().Len() {
			m := svc.Methods().Get(i)
			if m.IsStreamingServer() || m.IsStreamingClient() {
				streaming["/"+name+"/"+string(m.Name())] = true
			}
		}
	}
	return streaming
}

// withLimits bounds every request: its body to bodyMaxBytes, and the time
// to answer it to writeTimeout, except for streaming procedures, which live
// as long as their client wants. The server has no global WriteTimeout,
// which would end every stream; and since HTTP/1.1 keeps a connection's
// write deadline from one request to the next, every request sets its own
// (a stream clears it). The server's ReadTimeout needs no such care: it
// bounds reading the request, and net/http lifts it once the body is read.
func withLimits(next http.Handler, streaming map[string]bool) http.Handler {
	return http.MaxBytesHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(writeTimeout)
		if streaming[r.URL.Path] {
			deadline = time.Time{}
		}
		// This fails only on a writer that is no connection (a test's
		// recorder), where there is no deadline to set.
		_ = http.NewResponseController(w).SetWriteDeadline(deadline)
		next.ServeHTTP(w, r)
	}), bodyMaxBytes)
}
