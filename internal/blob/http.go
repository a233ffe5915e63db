package blob

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// HandlerConfig is what the upload and media routes need.
type HandlerConfig struct {
	Store  Store
	Signer *Signer
	// OnUpload, when set, is called after an upload is stored (e.g. to
	// enqueue media processing). It cannot fail the upload: log inside.
	OnUpload func(ctx context.Context, info Info)
}

// NewHandler serves
//
//	PUT /uploads/{key...}  a signed upload: checks signature, expiry, Content-Type and size,
//	                       stores the body; 201 with {"key","size","content_type","sha256"}
//	GET /media/{key...}    a stored object, with its content type, cacheable forever
//	                       (keys are write-once) and never run as a page
//
// Refusals: 400 bad key, 403 bad or expired signature, 415 other content
// type, 413 body over the limit, 409 key already uploaded. Mount it at
// "/uploads/" and "/media/".
func NewHandler(cfg HandlerConfig) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /uploads/{key...}", cfg.upload)
	mux.HandleFunc("GET /media/{key...}", cfg.serve)
	return mux
}

func (cfg HandlerConfig) upload(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if err := ValidateKey(key); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	up, err := cfg.Signer.Verify(key, r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if !sameMediaType(r.Header.Get("Content-Type"), up.ContentType) {
		http.Error(w, "Content-Type must be "+up.ContentType+", as the upload URL was signed for", http.StatusUnsupportedMediaType)
		return
	}
	if r.ContentLength > up.MaxBytes {
		http.Error(w, "body exceeds the upload limit of "+strconv.FormatInt(up.MaxBytes, 10)+" bytes", http.StatusRequestEntityTooLarge)
		return
	}
	body := http.MaxBytesReader(w, r.Body, up.MaxBytes)
	info, err := cfg.Store.Put(r.Context(), key, up.ContentType, body, r.ContentLength)
	if err != nil {
		writePutError(w, err, up.MaxBytes)
		return
	}
	if cfg.OnUpload != nil {
		cfg.OnUpload(r.Context(), info)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"key": info.Key, "size": info.Size,
		"content_type": info.ContentType, "sha256": info.SHA256})
}

func writePutError(w http.ResponseWriter, err error, limit int64) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, "body exceeds the upload limit of "+strconv.FormatInt(limit, 10)+" bytes", http.StatusRequestEntityTooLarge)
	case errors.Is(err, ErrExists):
		http.Error(w, ErrExists.Error(), http.StatusConflict)
	case errors.Is(err, ErrSizeMismatch):
		http.Error(w, ErrSizeMismatch.Error(), http.StatusBadRequest)
	default:
		http.Error(w, "could not store the upload", http.StatusInternalServerError)
	}
}

// sameMediaType compares media types without parameters, ignoring case.
func sameMediaType(got, want string) bool {
	g, _, errG := mime.ParseMediaType(got)
	w, _, errW := mime.ParseMediaType(want)
	return errG == nil && errW == nil && strings.EqualFold(g, w)
}

func (cfg HandlerConfig) serve(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if ValidateKey(key) != nil {
		http.NotFound(w, r)
		return
	}
	obj, info, err := cfg.Store.Open(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "could not read the media", http.StatusInternalServerError)
		return
	}
	defer func() { _ = obj.Close() }()
	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+info.SHA256+`"`)
	if seeker, ok := obj.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", info.CreatedAt, seeker)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	_, _ = io.Copy(w, obj)
}
