package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// The chat of a group (issue 14): every send, edit and delete takes the
// group's next sequence (NextGroupSeq) as the row's change_seq and wakes
// the chat hubs (NotifyGroupChange) in its transaction, so the hubs read
// each change once by change_seq.

// ErrChatContent: the database refused the content (group_messages_content),
// the backstop of the API's own check.
var ErrChatContent = errors.New("the message content must be 1 to 2000 characters and not blank")

// InsertGroupMessage sends a message in tx with the group's next sequence
// as its seq and change_seq. It returns false, with m untouched, when the
// sender already sent client_message_id (the caller reads that message
// and rolls back, so the sequence taken is not spent).
func InsertGroupMessage(ctx context.Context, tx bun.Tx, m *GroupMessage) (bool, error) {
	seq, err := NextGroupSeq(ctx, tx, m.GroupID)
	if err != nil {
		return false, err
	}
	m.ID, m.Seq, m.ChangeSeq = NewID(), seq, seq
	res, err := tx.NewInsert().Model(m).On("CONFLICT ON CONSTRAINT group_messages_client_id DO NOTHING").
		Returning("sent_at").Exec(ctx)
	if err != nil {
		return false, chatWriteError(err, "send message to group %s", m.GroupID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, NotifyGroupChange(ctx, tx, m.GroupID)
}

// MessageByClientID reads the message sender sent with clientMessageID.
func MessageByClientID(ctx context.Context, idb bun.IDB, senderID uuid.UUID, clientMessageID string) (*GroupMessage, error) {
	m := new(GroupMessage)
	err := idb.NewSelect().Model(m).Where("sender_id = ? AND client_message_id = ?", senderID, clientMessageID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "message %q of %s", clientMessageID, senderID)
	}
	return m, nil
}

// MessageByID reads one message.
func MessageByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*GroupMessage, error) {
	m := new(GroupMessage)
	if err := idb.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "message %s", id)
	}
	return m, nil
}

// LockMessage reads a message in tx and locks it until tx ends.
func LockMessage(ctx context.Context, tx bun.Tx, id uuid.UUID) (*GroupMessage, error) {
	m := new(GroupMessage)
	if err := tx.NewSelect().Model(m).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "message %s", id)
	}
	return m, nil
}

// EditGroupMessage replaces m's content in tx with a new change sequence.
func EditGroupMessage(ctx context.Context, tx bun.Tx, m *GroupMessage, content string, at time.Time) error {
	seq, err := NextGroupSeq(ctx, tx, m.GroupID)
	if err != nil {
		return err
	}
	m.Content, m.ChangeSeq, m.IsEdited, m.EditedAt = content, seq, true, &at
	if _, err := tx.NewUpdate().Model(m).Column("content", "change_seq", "is_edited", "edited_at").WherePK().Exec(ctx); err != nil {
		return chatWriteError(err, "edit message %s", m.ID)
	}
	return NotifyGroupChange(ctx, tx, m.GroupID)
}

// DeleteGroupMessage empties m's content in tx and records who deleted it,
// with a new change sequence.
func DeleteGroupMessage(ctx context.Context, tx bun.Tx, m *GroupMessage, by uuid.UUID, at time.Time) error {
	seq, err := NextGroupSeq(ctx, tx, m.GroupID)
	if err != nil {
		return err
	}
	m.Content, m.ChangeSeq, m.DeletedAt, m.DeletedBy = "", seq, &at, &by
	if _, err := tx.NewUpdate().Model(m).Column("content", "change_seq", "deleted_at", "deleted_by").WherePK().Exec(ctx); err != nil {
		return chatWriteError(err, "delete message %s", m.ID)
	}
	return NotifyGroupChange(ctx, tx, m.GroupID)
}

// chatWriteError names the content rule when the database's CHECK refused
// the row.
func chatWriteError(err error, format string, args ...any) error {
	if IsCheckViolation(err, "group_messages_content") {
		return ErrChatContent
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// MessagePage is one page of a group's messages by seq: the limit newest
// before beforeSeq (0: the newest of all), or, when afterSeq is set, the
// limit oldest after it; ascending either way.
func MessagePage(ctx context.Context, idb bun.IDB, groupID uuid.UUID, beforeSeq int64, afterSeq *int64, limit int) ([]GroupMessage, error) {
	var out []GroupMessage
	q := idb.NewSelect().Model(&out).Where("group_id = ?", groupID).Limit(int64(limit))
	switch {
	case afterSeq != nil:
		q = q.Where("seq > ?", *afterSeq).Order("seq ASC")
	case beforeSeq > 0:
		q = q.Where("seq < ?", beforeSeq).Order("seq DESC")
	default:
		q = q.Order("seq DESC")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list messages of group %s: %w", groupID, err)
	}
	if afterSeq == nil {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// ChatChangesAfter reads the changes of a group after change sequence
// after, oldest first, at most limit.
func ChatChangesAfter(ctx context.Context, idb bun.IDB, groupID uuid.UUID, after int64, limit int) ([]GroupMessage, error) {
	var out []GroupMessage
	err := idb.NewSelect().Model(&out).Where("group_id = ? AND change_seq > ?", groupID, after).
		Order("change_seq").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read chat changes of group %s after %d: %w", groupID, after, err)
	}
	return out, nil
}

// GroupLastSeqs reads the last change sequence committed in each of the
// groups that exist and are not deleted.
func GroupLastSeqs(ctx context.Context, idb bun.IDB, groupIDs []uuid.UUID) (map[uuid.UUID]int64, error) {
	var rows []Group
	if err := idb.NewSelect().Model(&rows).Column("id", "last_seq").
		Where("id IN (?) AND deleted_at IS NULL", bun.In(groupIDs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read last chat sequences: %w", err)
	}
	out := make(map[uuid.UUID]int64, len(rows))
	for _, g := range rows {
		out[g.ID] = g.LastSeq
	}
	return out, nil
}

// GroupWatchers reports whether the group exists and is not deleted, and
// which of userIDs are its members, in one query.
func GroupWatchers(ctx context.Context, idb bun.IDB, groupID uuid.UUID, userIDs []uuid.UUID) (bool, map[uuid.UUID]bool, error) {
	var rows []struct {
		UserID *uuid.UUID `bun:"user_id,type:uuid"`
	}
	err := idb.NewSelect().TableExpr("groups AS g").ColumnExpr("gm.user_id").
		Join("LEFT JOIN group_members AS gm ON gm.group_id = g.id AND gm.user_id IN (?)", bun.In(append(userIDs, uuid.Nil))).
		Where("g.id = ? AND g.deleted_at IS NULL", groupID).Scan(ctx, &rows)
	if err != nil {
		return false, nil, fmt.Errorf("read watchers of group %s: %w", groupID, err)
	}
	members := make(map[uuid.UUID]bool, len(rows))
	for _, r := range rows {
		if r.UserID != nil {
			members[*r.UserID] = true
		}
	}
	return len(rows) > 0, members, nil
}

// IsCheckViolation reports whether err is the violation of the named
// CHECK constraint.
func IsCheckViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514" && pgErr.ConstraintName == constraint
}
