package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Local stores each object as one file under <dir>/objects/<key>: a
// 512-byte header line (JSON padded with spaces: content type, digest,
// creation time), then the bytes. One file per object makes a Put atomic:
// the file appears complete, with its header, or not at all.
type Local struct {
	dir string
	now func() time.Time
}

var _ Store = (*Local)(nil)

// header is the first line of a stored file.
type header struct {
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewLocal stores objects under dir, creating it if needed. now is the
// clock for Info.CreatedAt (time.Now when nil).
func NewLocal(dir string, now func() time.Time) (*Local, error) {
	if now == nil {
		now = time.Now
	}
	for _, sub := range []string{"objects", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("blob directory: %w", err)
		}
	}
	return &Local{dir: dir, now: now}, nil
}

func (l *Local) path(key string) string {
	return filepath.Join(l.dir, "objects", filepath.FromSlash(key))
}

// Put writes the object to a temporary file, then links it under its key,
// which fails if the key exists: concurrent Puts of one key store one.
func (l *Local) Put(ctx context.Context, key, contentType string, r io.Reader, size int64) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Join(l.dir, "tmp"), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	info, err := l.write(tmp, key, contentType, r, size)
	if closeErr := tmp.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("put %s: %w", key, closeErr)
	}
	if err != nil {
		return Info{}, err
	}
	return info, l.link(tmp.Name(), key)
}

// write fills f with a reserved header line, the body (hashed and counted
// on the way) and then the header itself, and syncs it.
func (l *Local) write(f *os.File, key, contentType string, r io.Reader, size int64) (Info, error) {
	info := Info{Key: key, ContentType: contentType, CreatedAt: l.now().UTC().Truncate(time.Microsecond)}
	if _, err := f.Write(make([]byte, headerLineLen)); err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	hash := sha256.New()
	limit := r
	if size >= 0 {
		limit = io.LimitReader(r, size+1)
	}
	n, err := io.Copy(io.MultiWriter(f, hash), limit)
	if err != nil {
		return Info{}, fmt.Errorf("put %s: read body: %w", key, err)
	}
	if size >= 0 && n != size {
		return Info{}, fmt.Errorf("put %s: %w (announced %d bytes)", key, ErrSizeMismatch, size)
	}
	info.Size, info.SHA256 = n, hex.EncodeToString(hash.Sum(nil))
	line, err := headerLine(header{ContentType: contentType, SHA256: info.SHA256, CreatedAt: info.CreatedAt})
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	if _, err := f.WriteAt(line, 0); err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	return info, nil
}

// headerLineLen is the fixed length of the header line (JSON padded with
// spaces, then a newline), so the body's offset is known before the digest.
const headerLineLen = 512

func headerLine(h header) ([]byte, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if len(b) >= headerLineLen {
		return nil, fmt.Errorf("content type too long (%d bytes of header)", len(b))
	}
	line := make([]byte, headerLineLen)
	copy(line, b)
	for i := len(b); i < headerLineLen-1; i++ {
		line[i] = ' '
	}
	line[headerLineLen-1] = '\n'
	return line, nil
}

// link publishes the finished temporary file under key.
func (l *Local) link(tmp, key string) error {
	final := l.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("put %s: %w", key, ErrExists)
		}
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// localObject reads an object's body: a section of its file past the header.
type localObject struct {
	*io.SectionReader
	f *os.File
}

func (o localObject) Close() error { return o.f.Close() }

// Open returns a reader that also seeks (for HTTP range requests).
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	f, info, err := l.openFile(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	return localObject{SectionReader: io.NewSectionReader(f, headerLineLen, info.Size), f: f}, info, nil
}

// Stat reads an object's header.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	f, info, err := l.openFile(ctx, key)
	if err != nil {
		return Info{}, err
	}
	return info, f.Close()
}

// Delete removes an object; a missing one is already gone.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(l.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// openFile opens key's file and reads its header.
func (l *Local) openFile(ctx context.Context, key string) (*os.File, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("open %s: %w", key, err)
	}
	info, err := readHeader(f, key)
	if err != nil {
		_ = f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

func readHeader(f *os.File, key string) (Info, error) {
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("open %s: %w", key, err)
	}
	line := make([]byte, headerLineLen)
	if _, err := f.ReadAt(line, 0); err != nil || line[headerLineLen-1] != '\n' {
		return Info{}, fmt.Errorf("open %s: not a blob file (no header)", key)
	}
	var h header
	if err := json.Unmarshal(line, &h); err != nil {
		return Info{}, fmt.Errorf("open %s: bad header: %w", key, err)
	}
	return Info{Key: key, ContentType: h.ContentType, Size: st.Size() - headerLineLen, SHA256: h.SHA256,
		CreatedAt: h.CreatedAt}, nil
}
