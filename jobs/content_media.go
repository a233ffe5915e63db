package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	// Registered decoders: DecodeConfig reads the dimensions of these.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/blob"
)

// ProcessMediaArgs inspects one uploaded media asset: its type from its
// bytes (what the client declared is not trusted) and, for images, its
// dimensions; the asset becomes ready or failed. It is enqueued in the
// transaction that records the upload.
type ProcessMediaArgs struct {
	MediaAssetID uuid.UUID `json:"media_asset_id"`
}

// Kind is the job's stable name in river_job.
func (ProcessMediaArgs) Kind() string { return "content.media_process" }

// InsertOpts retries a failed read a few times; a file that is not media
// fails for good on the first run (the asset is marked failed).
func (ProcessMediaArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// ProcessMediaWorker works ProcessMediaArgs.
type ProcessMediaWorker struct {
	river.WorkerDefaults[ProcessMediaArgs]
	DB   *db.DB
	Blob blob.Store
}

// Work reads the asset's bytes and records what they are. An asset that
// is no longer pending was processed already: a repeated job does nothing.
func (w *ProcessMediaWorker) Work(ctx context.Context, job *river.Job[ProcessMediaArgs]) error {
	asset, err := db.MediaAssetByID(ctx, w.DB, job.Args.MediaAssetID)
	if errors.Is(err, db.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if asset.ProcessingStatus != enums.MediaPending {
		return nil
	}
	obj, _, err := w.Blob.Open(ctx, asset.StorageKey)
	if errors.Is(err, blob.ErrNotFound) {
		return db.SetMediaProcessed(ctx, w.DB, asset.ID, db.MediaProcessed{Status: enums.MediaFailed,
			Error: "no uploaded bytes under the asset's key; upload again"})
	}
	if err != nil {
		return fmt.Errorf("open media %s: %w", asset.ID, err)
	}
	defer func() { _ = obj.Close() }()
	result, err := InspectMedia(obj)
	if err != nil {
		return fmt.Errorf("read media %s: %w", asset.ID, err)
	}
	return db.SetMediaProcessed(ctx, w.DB, asset.ID, result)
}

// sniffLen is how many bytes http.DetectContentType looks at.
const sniffLen = 512

// InspectMedia says what r's bytes are: ready with the detected MIME type,
// file type and (for PNG, JPEG and GIF) dimensions, or failed with the
// reason. Only a read error is an error.
func InspectMedia(r io.Reader) (db.MediaProcessed, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return db.MediaProcessed{}, err
	}
	head = head[:n]
	if n == 0 {
		return db.MediaProcessed{Status: enums.MediaFailed, Error: "the file is empty"}, nil
	}
	mimeType, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	fileType := mediaFileType(mimeType)
	if fileType == "" {
		return db.MediaProcessed{Status: enums.MediaFailed, MimeType: mimeType,
			Error: fmt.Sprintf("unsupported file type %s; upload an image, a video or a PDF", mimeType)}, nil
	}
	out := db.MediaProcessed{Status: enums.MediaReady, MimeType: mimeType, FileType: fileType}
	if !hasImageDecoder(mimeType) {
		return out, nil
	}
	cfg, _, err := image.DecodeConfig(io.MultiReader(bytes.NewReader(head), r))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return db.MediaProcessed{Status: enums.MediaFailed, MimeType: mimeType, FileType: fileType,
			Error: fmt.Sprintf("the %s image cannot be read; it may be truncated or corrupt", mimeType)}, nil
	}
	out.Width, out.Height = &cfg.Width, &cfg.Height
	return out, nil
}

// mediaFileType is media_assets.file_type for a detected MIME type, ""
// for a type Convene does not accept.
func mediaFileType(mimeType string) string {
	switch {
	case strings.HasPrefix(mimeType, "image/"):
		return "image"
	case strings.HasPrefix(mimeType, "video/"):
		return "video"
	case mimeType == "application/pdf":
		return "document"
	}
	return ""
}

// hasImageDecoder reports whether DecodeConfig can read the type's
// dimensions (the decoders imported above).
func hasImageDecoder(mimeType string) bool {
	return mimeType == "image/png" || mimeType == "image/jpeg" || mimeType == "image/gif"
}

// PurgeContentArgs hard-deletes content soft-deleted more than
// ContentRetention ago. It runs daily.
type PurgeContentArgs struct{}

// Kind is the job's stable name in river_job.
func (PurgeContentArgs) Kind() string { return "content.purge" }

// ContentRetention is how long deleted content is kept (for undo and
// support) before it is purged.
const ContentRetention = 90 * 24 * time.Hour

// PurgeContentWorker works PurgeContentArgs. Deleting is idempotent, so a
// retried or doubled run is harmless.
type PurgeContentWorker struct {
	river.WorkerDefaults[PurgeContentArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work purges what is past retention.
func (w *PurgeContentWorker) Work(ctx context.Context, _ *river.Job[PurgeContentArgs]) error {
	_, err := db.PurgeDeletedContent(ctx, w.DB, w.Now().Add(-ContentRetention))
	return err
}

// PeriodicPurgeContent schedules the purge daily.
func PeriodicPurgeContent() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeContentArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
