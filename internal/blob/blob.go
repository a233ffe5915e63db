// Package blob stores uploaded media (images, videos) by key and lets
// clients upload straight to it with signed URLs, so large bodies never
// pass through a Connect request.
//
// Keys are write-once: Put refuses a key that exists, so media that an
// approver saw cannot be swapped afterwards, even with a still-valid
// upload URL. Convene depends on Store; Local keeps objects in a directory
// (an S3-compatible adapter can be added behind the same interface).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Store keeps objects by key. Implementations are safe for concurrent use.
type Store interface {
	// Put stores r's bytes under key. size is the exact byte count, or -1
	// when unknown; a body of another length is refused (ErrSizeMismatch)
	// and nothing is stored. A key that exists is refused with ErrExists.
	Put(ctx context.Context, key, contentType string, r io.Reader, size int64) (Info, error)
	// Open reads an object. The reader also implements io.Seeker when the
	// store can seek (Local does). Close it.
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes an object without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes an object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored object.
type Info struct {
	Key         string
	ContentType string
	Size        int64
	// SHA256 is the hex digest of the bytes, computed while storing.
	SHA256    string
	CreatedAt time.Time
}

// Sentinel errors, compared with errors.Is.
var (
	// ErrNotFound: no object has the key.
	ErrNotFound = errors.New("blob not found")
	// ErrExists: the key is taken; keys are write-once, pick a new one.
	ErrExists = errors.New("blob key already exists: keys are write-once, upload under a new key")
	// ErrInvalidKey: the key is not a safe relative path.
	ErrInvalidKey = errors.New("invalid blob key")
	// ErrSizeMismatch: the body was longer or shorter than announced.
	ErrSizeMismatch = errors.New("blob body length differs from its announced size")
)

// maxKeyLen bounds a key's length in bytes.
const maxKeyLen = 512

// ValidateKey accepts relative paths of segments made of letters, digits,
// '.', '_' and '-', e.g. "org/0192…/photo.jpg": no absolute paths, no "."
// or ".." segments, no empty segments, at most 512 bytes.
func ValidateKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("%w: a key has 1 to %d bytes", ErrInvalidKey, maxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w %q: no absolute paths, empty, '.' or '..' segments", ErrInvalidKey, key)
		}
		for _, r := range seg {
			if !isKeyRune(r) {
				return fmt.Errorf("%w %q: only letters, digits, '.', '_', '-' and '/' are allowed", ErrInvalidKey, key)
			}
		}
	}
	return nil
}

func isKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}
