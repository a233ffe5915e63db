package social

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/chatwatch"
	"github.com/convene/convene/jobs"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// editWindow is how long after sending its sender may edit a message.
const editWindow = 15 * time.Minute

// maxContent is the longest message in characters (group_messages_content).
const maxContent = 2000

// chatServer implements convene.social.v1.ChatService. Its hub fans the
// chat changes out to this process's WatchMessages streams.
type chatServer struct {
	Deps
	hub *chatwatch.Hub
}

var _ socialv1connect.ChatServiceHandler = (*chatServer)(nil)

// newChatService is the ChatService with this process's one chat hub
// (which connects only once someone watches).
func newChatService(d Deps) rpc.Service {
	hub := chatwatch.New(chatwatch.DBStore{DB: d.DB}, chatwatch.Options{Log: d.Log})
	return rpc.NewService[socialv1connect.ChatServiceHandler](socialv1connect.ChatServiceName, &chatServer{Deps: d, hub: hub},
		socialv1connect.NewChatServiceHandler)
}

// errRetriedSend rolls back a send whose client_message_id was used: the
// stored message is the answer.
var errRetriedSend = errors.New("message already sent")

// SendMessage posts a message; members only, not while banned.
func (s *chatServer) SendMessage(ctx context.Context, req *connect.Request[socialv1.SendMessageRequest]) (*connect.Response[socialv1.SendMessageResponse], error) {
	m := req.Msg
	content, err := checkContent(m.GetContent())
	if err != nil {
		return nil, err
	}
	a, err := loadGroupAccess(ctx, s.DB, uuid.MustParse(m.GetGroupId()))
	if err != nil {
		return nil, err
	}
	if !a.Member {
		return nil, rpc.DeniedField("group_id", "only members of the group can post in it")
	}
	if err := refuseBanned(ctx, s.DB, a.Caller, a.Event.ID, a.Group.ID, s.Now()); err != nil {
		return nil, err
	}
	msg := &db.GroupMessage{GroupID: a.Group.ID, SenderID: a.Caller, ClientMessageID: m.GetClientMessageId(),
		Content: content, SentAt: s.Now()}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		stored, err := db.InsertGroupMessage(ctx, tx, msg)
		if err != nil {
			return err
		}
		if !stored {
			return errRetriedSend
		}
		return s.enqueueChatPush(ctx, tx, msg)
	})
	if errors.Is(err, errRetriedSend) {
		return s.answerRetriedSend(ctx, a.Caller, a.Group.ID, m.GetClientMessageId())
	}
	if err != nil {
		return nil, chatWriteError(err)
	}
	return connect.NewResponse(&socialv1.SendMessageResponse{Message: messageToProto(msg)}), nil
}

// answerRetriedSend answers a retried send with the message stored by the
// first; a client_message_id reused in another group is AlreadyExists.
func (s *chatServer) answerRetriedSend(ctx context.Context, sender, groupID uuid.UUID, clientID string) (*connect.Response[socialv1.SendMessageResponse], error) {
	stored, err := db.MessageByClientID(ctx, s.DB, sender, clientID)
	if err != nil {
		return nil, err
	}
	if stored.GroupID != groupID {
		return nil, connect.NewError(connect.CodeAlreadyExists,
			errors.New("client_message_id: you sent another message with this ID to another group"))
	}
	return connect.NewResponse(&socialv1.SendMessageResponse{Message: messageToProto(stored)}), nil
}

// enqueueChatPush schedules the group's push for the minute of this send:
// one job per group per minute, however many messages it holds.
func (s *chatServer) enqueueChatPush(ctx context.Context, tx bun.Tx, m *db.GroupMessage) error {
	args := jobs.NewChatPushArgs(m.GroupID, m.Seq, m.SentAt)
	if _, err := s.River.InsertTx(ctx, tx.Tx, args, &river.InsertOpts{ScheduledAt: args.Before}); err != nil {
		return fmt.Errorf("enqueue chat push of group %s: %w", m.GroupID, err)
	}
	return nil
}

// EditMessage replaces the content of the caller's own message within
// editWindow of its sending.
func (s *chatServer) EditMessage(ctx context.Context, req *connect.Request[socialv1.EditMessageRequest]) (*connect.Response[socialv1.EditMessageResponse], error) {
	content, err := checkContent(req.Msg.GetContent())
	if err != nil {
		return nil, err
	}
	var msg *db.GroupMessage
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, a, err := s.lockMessage(ctx, tx, uuid.MustParse(req.Msg.GetMessageId()))
		if err != nil {
			return err
		}
		if m.SenderID != a.Caller || !a.Member {
			return rpc.DeniedField("message_id", "only its sender, a member of the group, can edit a message")
		}
		if m.DeletedAt != nil {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the message was deleted"))
		}
		now := s.Now()
		if now.Sub(m.SentAt) > editWindow {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("messages can be edited for 15 minutes"))
		}
		if err := refuseBanned(ctx, tx, a.Caller, a.Event.ID, a.Group.ID, now); err != nil {
			return err
		}
		msg = m
		return db.EditGroupMessage(ctx, tx, m, content, now)
	})
	if err != nil {
		return nil, chatWriteError(err)
	}
	return connect.NewResponse(&socialv1.EditMessageResponse{Message: messageToProto(msg)}), nil
}

// DeleteMessage empties a message; its sender or a moderator of the group.
// A moderator's delete is audited. Deleting a deleted message answers it
// as it is.
func (s *chatServer) DeleteMessage(ctx context.Context, req *connect.Request[socialv1.DeleteMessageRequest]) (*connect.Response[socialv1.DeleteMessageResponse], error) {
	var msg *db.GroupMessage
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, a, err := s.lockMessage(ctx, tx, uuid.MustParse(req.Msg.GetMessageId()))
		if err != nil {
			return err
		}
		own := m.SenderID == a.Caller && a.Member
		if !own && !a.CanModerate() {
			return rpc.DeniedField("message_id", "only its sender or a moderator of the group can delete a message")
		}
		msg = m
		if m.DeletedAt != nil {
			return nil
		}
		if err := db.DeleteGroupMessage(ctx, tx, m, a.Caller, s.Now()); err != nil {
			return err
		}
		if own {
			return nil
		}
		return rpc.Audit(ctx, tx, &a.Caller, a.Event.OrganizationID, "group_message", m.ID.String(), "delete",
			map[string]any{"group_id": m.GroupID.String(), "sender_id": m.SenderID.String()})
	})
	if err != nil {
		return nil, chatWriteError(err)
	}
	return connect.NewResponse(&socialv1.DeleteMessageResponse{Message: messageToProto(msg)}), nil
}

// lockMessage locks a message and reads the caller's standing in its
// group: NotFound when the caller may not read the group.
func (s *chatServer) lockMessage(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.GroupMessage, groupAccess, error) {
	errNotFound := connect.NewError(connect.CodeNotFound, errors.New("message not found"))
	m, err := db.LockMessage(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, groupAccess{}, errNotFound
	}
	if err != nil {
		return nil, groupAccess{}, err
	}
	a, err := loadGroupAccess(ctx, tx, m.GroupID)
	if connect.CodeOf(err) == connect.CodeNotFound || (err == nil && !a.CanRead()) {
		return nil, groupAccess{}, errNotFound
	}
	return m, a, err
}

// ListMessages pages through a group's messages by seq; readers only.
func (s *chatServer) ListMessages(ctx context.Context, req *connect.Request[socialv1.ListMessagesRequest]) (*connect.Response[socialv1.ListMessagesResponse], error) {
	m := req.Msg
	if m.BeforeSeq != nil && m.AfterSeq != nil {
		return nil, rpc.InvalidField("after_seq", "give before_seq or after_seq, not both")
	}
	a, err := loadGroupAccess(ctx, s.DB, uuid.MustParse(m.GetGroupId()))
	if err != nil {
		return nil, err
	}
	if !a.CanRead() {
		return nil, rpc.DeniedField("group_id", "only members of the group read its chat")
	}
	size := int(m.GetPageSize())
	if size == 0 {
		size = 50
	}
	rows, err := db.MessagePage(ctx, s.DB, a.Group.ID, m.GetBeforeSeq(), m.AfterSeq, size+1)
	if err != nil {
		return nil, err
	}
	more := len(rows) > size
	if more && m.AfterSeq != nil {
		rows = rows[:size]
	} else if more {
		rows = rows[1:]
	}
	out := &socialv1.ListMessagesResponse{HasMore: more}
	for i := range rows {
		out.Messages = append(out.Messages, messageToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// checkContent refuses content that is empty, only white space, or over
// maxContent characters, naming the field.
func checkContent(content string) (string, error) {
	n := utf8.RuneCountInString(content)
	switch {
	case n == 0:
		return "", rpc.InvalidField("content", "must not be empty")
	case n > maxContent:
		return "", rpc.InvalidField("content", fmt.Sprintf("must be at most %d characters (it has %d)", maxContent, n))
	case strings.TrimFunc(content, unicode.IsSpace) == "":
		return "", rpc.InvalidField("content", "must not be only white space")
	}
	return content, nil
}

// chatWriteError maps the chat writes' outcomes to Connect errors.
func chatWriteError(err error) error {
	switch {
	case errors.Is(err, db.ErrGroupGone):
		return errGroupNotFound()
	case errors.Is(err, db.ErrChatContent):
		return rpc.InvalidField("content", db.ErrChatContent.Error())
	}
	return err
}
