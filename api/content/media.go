package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/blob"
	"github.com/convene/convene/jobs"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// uploadURLTTL is how long a signed upload URL is accepted.
const uploadURLTTL = 15 * time.Minute

// mediaStatuses maps the proto media statuses to
// media_assets.processing_status.
var mediaStatuses = rpc.NewEnum(map[contentv1.MediaStatus]string{
	contentv1.MediaStatus_MEDIA_STATUS_PENDING: enums.MediaPending,
	contentv1.MediaStatus_MEDIA_STATUS_READY:   enums.MediaReady,
	contentv1.MediaStatus_MEDIA_STATUS_FAILED:  enums.MediaFailed,
})

// CreateUpload registers a pending media asset of the organization and
// returns a signed URL the client PUTs the bytes to; the upload route
// (mediaRoutes) then queues the asset's processing.
func (s *contentServer) CreateUpload(ctx context.Context, req *connect.Request[contentv1.CreateUploadRequest]) (*connect.Response[contentv1.CreateUploadResponse], error) {
	msg := req.Msg
	m := s.newMediaAsset(ctx, msg.GetOrganizationId(), msg.GetFilename(), msg.GetMimeType(), msg.GetFileSize())
	expires := s.Now().Add(uploadURLTTL)
	url, err := s.Uploads.SignPut(m.StorageKey, m.FileSize, m.MimeType, expires)
	if err != nil {
		return nil, fmt.Errorf("sign upload: %w", err)
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, m.OrganizationID, rpc.AnyRole); err != nil {
			return err
		}
		if err := db.InsertMediaAsset(ctx, tx, m); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, m.UploadedBy, &m.OrganizationID, "media_asset", m.ID.String(), "create_upload",
			map[string]any{"filename": m.Filename, "size": m.FileSize})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateUploadResponse{MediaAssetId: m.ID.String(), UploadUrl: url,
		ExpiresAt: timestamppb.New(expires.Truncate(time.Second))}), nil
}

// UploadMedia stores a small file sent inline and registers it, its
// processing queued in the same transaction. The bytes are stored before
// the row: a failed insert leaves an unreferenced object, never a row
// without its bytes.
func (s *contentServer) UploadMedia(ctx context.Context, req *connect.Request[contentv1.UploadMediaRequest]) (*connect.Response[contentv1.UploadMediaResponse], error) {
	msg := req.Msg
	m := s.newMediaAsset(ctx, msg.GetOrganizationId(), msg.GetFilename(), msg.GetMimeType(), int64(len(msg.GetData())))
	if _, err := rpc.OrgAccess(ctx, s.DB, m.OrganizationID, rpc.AnyRole); err != nil {
		return nil, err
	}
	if _, err := s.Blob.Put(ctx, m.StorageKey, m.MimeType, bytes.NewReader(msg.GetData()), m.FileSize); err != nil {
		return nil, fmt.Errorf("store media: %w", err)
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.InsertMediaAsset(ctx, tx, m); err != nil {
			return err
		}
		if _, err := s.River.InsertTx(ctx, tx.Tx, jobs.ProcessMediaArgs{MediaAssetID: m.ID}, nil); err != nil {
			return fmt.Errorf("enqueue media processing: %w", err)
		}
		return rpc.Audit(ctx, tx, m.UploadedBy, &m.OrganizationID, "media_asset", m.ID.String(), "upload",
			map[string]any{"filename": m.Filename, "size": m.FileSize})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.UploadMediaResponse{MediaAsset: mediaToProto(m)}), nil
}

// newMediaAsset is a pending asset of the caller under a fresh,
// write-once storage key.
func (s *contentServer) newMediaAsset(ctx context.Context, orgID, filename, mimeType string, size int64) *db.MediaAsset {
	userID := rpc.CallerID(ctx)
	id := db.NewID()
	key := "media/" + orgID + "/" + id.String()
	fileType := "image"
	if strings.HasPrefix(mimeType, "video/") {
		fileType = "video"
	}
	return &db.MediaAsset{ID: id, OrganizationID: uuid.MustParse(orgID), UploadedBy: &userID, Filename: filename,
		FileType: fileType, MimeType: mimeType, FileSize: size, StorageKey: key, StorageURL: s.Uploads.MediaURL(key),
		ProcessingStatus: enums.MediaPending}
}

// ListMediaAssets pages through an organization's media, newest first,
// for its members.
func (s *contentServer) ListMediaAssets(ctx context.Context, req *connect.Request[contentv1.ListMediaAssetsRequest]) (*connect.Response[contentv1.ListMediaAssetsResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListMediaAssets", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListMediaAssets(ctx, s.DB, orgID, mediaStatuses.Name(msg.GetProcessingStatus()), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &contentv1.ListMediaAssetsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(m *db.MediaAsset) (time.Time, uuid.UUID) { return m.CreatedAt, m.ID })
	for i := range rows {
		resp.MediaAssets = append(resp.MediaAssets, mediaToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// mediaToProto converts a media asset; its URL shows once it is ready.
func mediaToProto(m *db.MediaAsset) *contentv1.MediaAsset {
	out := &contentv1.MediaAsset{Id: m.ID.String(), OrganizationId: m.OrganizationID.String(), Filename: m.Filename,
		MimeType: m.MimeType, FileSize: m.FileSize, Width: int32(rpc.Deref(m.Width)), Height: int32(rpc.Deref(m.Height)),
		ProcessingStatus: mediaStatuses.Value(m.ProcessingStatus), UploadedBy: rpc.IDString(m.UploadedBy),
		CreatedAt: timestamppb.New(m.CreatedAt)}
	if m.ProcessingStatus == enums.MediaReady {
		out.Url = m.StorageURL
	}
	return out
}

// mediaRoutes serves signed uploads (PUT /uploads/…) and stored media
// (GET /media/…). A stored upload marks its pending asset uploaded and
// queues its processing in one transaction.
func mediaRoutes(d Deps) []rpc.Route {
	h := blob.NewHandler(blob.HandlerConfig{Store: d.Blob, Signer: d.Uploads, OnUpload: func(ctx context.Context, info blob.Info) {
		if err := uploaded(ctx, d, info); err != nil {
			d.Log.ErrorContext(ctx, "record media upload", "key", info.Key, "error", err)
		}
	}})
	return []rpc.Route{{Pattern: "/uploads/", Handler: h}, {Pattern: "/media/", Handler: h}}
}

// uploaded records the bytes stored under a pending asset's key and
// queues their processing; a key of no pending asset is ignored.
func uploaded(ctx context.Context, d Deps, info blob.Info) error {
	return d.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, err := db.MediaAssetByStorageKey(ctx, tx, info.Key)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok, err := db.MarkMediaUploaded(ctx, tx, m.ID, info.Size)
		if err != nil || !ok {
			return err
		}
		if _, err := d.River.InsertTx(ctx, tx.Tx, jobs.ProcessMediaArgs{MediaAssetID: m.ID}, nil); err != nil {
			return fmt.Errorf("enqueue media processing: %w", err)
		}
		return nil
	})
}
