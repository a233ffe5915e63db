package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ChatPresence is one open WatchMessages stream's watch of one group
// (chat_presence): the chat push skips members with a live one.
type ChatPresence struct {
	bun.BaseModel `bun:"table:chat_presence,alias:cp"`

	StreamID  uuid.UUID `bun:"stream_id,pk,type:uuid"`
	GroupID   uuid.UUID `bun:"group_id,pk,type:uuid"`
	UserID    uuid.UUID `bun:"user_id,type:uuid,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

// TouchChatPresence records, or extends until expiresAt, a stream's watch
// of its groups.
func TouchChatPresence(ctx context.Context, idb bun.IDB, streamID, userID uuid.UUID, groupIDs []uuid.UUID, expiresAt time.Time) error {
	rows := make([]ChatPresence, len(groupIDs))
	for i, g := range groupIDs {
		rows[i] = ChatPresence{StreamID: streamID, GroupID: g, UserID: userID, ExpiresAt: expiresAt}
	}
	if _, err := idb.NewInsert().Model(&rows).On("CONFLICT (stream_id, group_id) DO UPDATE").
		Set("expires_at = EXCLUDED.expires_at").Exec(ctx); err != nil {
		return fmt.Errorf("record chat presence of stream %s: %w", streamID, err)
	}
	return nil
}

// ClearChatPresence removes a stream's rows: it ended.
func ClearChatPresence(ctx context.Context, idb bun.IDB, streamID uuid.UUID) error {
	if _, err := idb.NewDelete().Model((*ChatPresence)(nil)).Where("stream_id = ?", streamID).Exec(ctx); err != nil {
		return fmt.Errorf("clear chat presence of stream %s: %w", streamID, err)
	}
	return nil
}

// UnreadChatCount is how many messages of a push's window a member did
// not send.
type UnreadChatCount struct {
	UserID uuid.UUID `bun:"user_id,type:uuid"`
	Count  int       `bun:"count"`
}

// ChatPushCounts counts, per member of the group without a live stream
// on it at now, the messages others sent with seq >= fromSeq before
// before that are not deleted. Members with none are left out.
func ChatPushCounts(ctx context.Context, idb bun.IDB, groupID uuid.UUID, fromSeq int64, before, now time.Time) ([]UnreadChatCount, error) {
	var out []UnreadChatCount
	err := idb.NewSelect().TableExpr("group_members AS gm").
		ColumnExpr("gm.user_id").ColumnExpr("count(*) AS count").
		Join("JOIN group_messages AS msg ON msg.group_id = gm.group_id AND msg.sender_id <> gm.user_id").
		Where("gm.group_id = ?", groupID).
		Where("msg.seq >= ? AND msg.sent_at < ? AND msg.deleted_at IS NULL", fromSeq, before).
		Where("NOT EXISTS (SELECT 1 FROM chat_presence AS cp WHERE cp.group_id = gm.group_id AND cp.user_id = gm.user_id AND cp.expires_at > ?)", now).
		GroupExpr("gm.user_id").OrderExpr("gm.user_id").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("count unread chat of group %s: %w", groupID, err)
	}
	return out, nil
}
