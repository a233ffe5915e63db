package social

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/chatwatch"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
)

// heartbeatEvery is how often an idle stream hears from the server, and
// how often it extends its presence (which lasts presenceFor, so a stream
// of a process that died stops counting soon).
const (
	heartbeatEvery = 15 * time.Second
	presenceFor    = 3 * heartbeatEvery
)

// WatchMessages streams the changes of the caller's groups from the
// process's chat hub (internal/chatwatch): no query of its own while it
// keeps up. The response headers are flushed once the watch is
// registered, so a client that has them misses nothing committed
// afterwards.
func (s *chatServer) WatchMessages(ctx context.Context, req *connect.Request[socialv1.WatchMessagesRequest], stream *connect.ServerStream[socialv1.WatchMessagesResponse]) error {
	watches, err := s.watchesOf(ctx, req.Msg)
	if err != nil {
		return err
	}
	session := rpc.SessionOf(ctx)
	sub, err := s.hub.Subscribe(ctx, session.UserID, watches)
	if errors.Is(err, chatwatch.ErrTooManyStreams) {
		return connect.NewError(connect.CodeResourceExhausted, err)
	}
	if err != nil {
		return err
	}
	defer sub.Close()
	streamID := db.NewID()
	if err := s.touchPresence(ctx, streamID, session.UserID, watches); err != nil {
		return err
	}
	defer s.clearPresence(streamID)
	if err := stream.Send(nil); err != nil { // headers only: the watch has begun
		return endStream(ctx, err)
	}
	heartbeat := time.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()
	expired := time.NewTimer(session.ExpiresAt.Sub(s.Now()))
	defer expired.Stop()
	for {
		var ev *socialv1.ChatEvent
		select {
		case <-ctx.Done():
			return nil
		case <-expired.C:
			return connect.NewError(connect.CodeUnauthenticated, errors.New("the access token of this watch expired; refresh it and watch again"))
		case <-heartbeat.C:
			if err := s.touchPresence(ctx, streamID, session.UserID, watches); err != nil {
				return endStream(ctx, err)
			}
			ev = &socialv1.ChatEvent{Kind: socialv1.ChatEvent_KIND_HEARTBEAT}
		case c := <-sub.Events():
			ev = changeEvent(c)
		case r := <-sub.Removals():
			ev = removedEvent(r.GroupID)
		case <-sub.Done():
			return s.endWatch(ctx, stream, sub)
		}
		if err := stream.Send(&socialv1.WatchMessagesResponse{Event: ev}); err != nil {
			return endStream(ctx, err)
		}
	}
}

// touchPresence records the stream's watch of its groups for the chat
// push, which skips members who watch.
func (s *chatServer) touchPresence(ctx context.Context, streamID, userID uuid.UUID, watches []chatwatch.Watch) error {
	ids := make([]uuid.UUID, len(watches))
	for i, w := range watches {
		ids[i] = w.GroupID
	}
	return db.TouchChatPresence(ctx, s.DB, streamID, userID, ids, s.Now().Add(presenceFor))
}

// clearPresence removes the ended stream's presence, even when its
// request's context is gone; a failure only leaves rows that expire.
func (s *chatServer) clearPresence(streamID uuid.UUID) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.ClearChatPresence(ctx, s.DB, streamID); err != nil {
		s.Log.Warn("chat watch: clear presence", "stream", streamID, "error", err)
	}
}

// watchesOf checks the request's groups: each must be readable by the
// caller (NotFound when not visible, PermissionDenied when not a reader).
func (s *chatServer) watchesOf(ctx context.Context, m *socialv1.WatchMessagesRequest) ([]chatwatch.Watch, error) {
	watches := make([]chatwatch.Watch, 0, len(m.GetGroupIds()))
	for _, raw := range m.GetGroupIds() {
		a, err := loadGroupAccess(ctx, s.DB, uuid.MustParse(raw))
		if err != nil {
			return nil, err
		}
		if !a.CanRead() {
			return nil, rpc.DeniedField("group_ids", "only members of a group watch its chat")
		}
		w := chatwatch.Watch{GroupID: a.Group.ID, MemberOnly: !a.Host && !a.Staff}
		if after, ok := m.GetAfterSeq()[raw]; ok {
			w.After = &after
		}
		watches = append(watches, w)
	}
	for key := range m.GetAfterSeq() {
		if !containsID(m.GetGroupIds(), key) {
			return nil, rpc.InvalidField("after_seq", "every key must be one of group_ids")
		}
	}
	return watches, nil
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// endWatch tells the client why the hub ended its watch, after the
// removals it has not sent yet.
func (s *chatServer) endWatch(ctx context.Context, stream *connect.ServerStream[socialv1.WatchMessagesResponse], sub *chatwatch.Subscription) error {
	for {
		select {
		case r := <-sub.Removals():
			if err := stream.Send(&socialv1.WatchMessagesResponse{Event: removedEvent(r.GroupID)}); err != nil {
				return endStream(ctx, err)
			}
			continue
		default:
		}
		break
	}
	if why := sub.Err(); errors.Is(why, chatwatch.ErrTooFarBehind) {
		return connect.NewError(connect.CodeResourceExhausted, why)
	}
	return nil
}

// endStream ends a stream: a client that went away is a normal end.
func endStream(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// changeEvent describes a change by the message's state: deleted, sent
// (its change is its send) or edited.
func changeEvent(c chatwatch.Event) *socialv1.ChatEvent {
	kind := socialv1.ChatEvent_KIND_EDITED
	switch {
	case c.Message.DeletedAt != nil:
		kind = socialv1.ChatEvent_KIND_DELETED
	case c.Message.ChangeSeq == c.Message.Seq:
		kind = socialv1.ChatEvent_KIND_CREATED
	}
	return &socialv1.ChatEvent{Kind: kind, GroupId: c.GroupID.String(), ChangeSeq: c.Message.ChangeSeq,
		Message: messageToProto(c.Message)}
}

func removedEvent(groupID uuid.UUID) *socialv1.ChatEvent {
	return &socialv1.ChatEvent{Kind: socialv1.ChatEvent_KIND_REMOVED, GroupId: groupID.String()}
}

// messageToProto is a message as the API shows it.
func messageToProto(m *db.GroupMessage) *socialv1.Message {
	out := &socialv1.Message{Id: m.ID.String(), GroupId: m.GroupID.String(), SenderId: m.SenderID.String(),
		ClientMessageId: m.ClientMessageID, Content: m.Content, Seq: m.Seq, ChangeSeq: m.ChangeSeq, Edited: m.IsEdited,
		SentAt: timestamppb.New(m.SentAt), DeletedBy: rpc.IDString(m.DeletedBy)}
	if m.EditedAt != nil {
		out.EditedAt = timestamppb.New(*m.EditedAt)
	}
	if m.DeletedAt != nil {
		out.DeletedAt = timestamppb.New(*m.DeletedAt)
	}
	return out
}
