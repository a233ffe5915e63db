package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
)

// chatGroup is a group of a published public event with its members.
type chatGroup struct {
	ID      string
	Host    testenv.Session
	Members []testenv.Session
}

// newChatGroup publishes an event and creates a group of n members
// straight in the database (GroupService is another topic's).
func newChatGroup(t *testing.T, a *testenv.API, n int) chatGroup {
	t.Helper()
	ctx := context.Background()
	host := a.NewUser(t, newPhone())
	ev := publishEvent(t, a, host, eventInput(a))
	g := &db.Group{ID: db.NewID(), EventID: uuid.MustParse(ev.GetId()), Name: "Front row", MaxMembers: 500}
	_, err := a.DB.NewInsert().Model(g).Exec(ctx)
	require.NoError(t, err)
	cg := chatGroup{ID: g.ID.String(), Host: host}
	for range n {
		m := a.NewUser(t, newPhone())
		require.NoError(t, a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return db.AddGroupMember(ctx, tx, g.ID, uuid.MustParse(m.UserID), false)
		}))
		cg.Members = append(cg.Members, m)
	}
	return cg
}

func send(a *testenv.API, s testenv.Session, groupID, content, clientID string) (*socialv1.Message, error) {
	resp, err := a.Chat.SendMessage(context.Background(), testenv.As(s, &socialv1.SendMessageRequest{
		GroupId: groupID, Content: content, ClientMessageId: clientID}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetMessage(), nil
}

func mustSend(t *testing.T, a *testenv.API, s testenv.Session, groupID, content string) *socialv1.Message {
	t.Helper()
	m, err := send(a, s, groupID, content, uuid.NewString())
	require.NoError(t, err)
	return m
}

func messageCount(t *testing.T, a *testenv.API, groupID string) int {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.GroupMessage)(nil)).Where("group_id = ?", groupID).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestSendMessage_ContentRules(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 1)
	alice := g.Members[0]
	for name, content := range map[string]string{
		"empty":      "",
		"blank":      " \t\n\u3000 ",
		"2001 chars": strings.Repeat("a", 2001),
		"2001 emoji": strings.Repeat("🎉", 2001),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := send(a, alice, g.ID, content, uuid.NewString())
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), "content")
		})
	}
	require.Zero(t, messageCount(t, a, g.ID), "a refused send stores nothing")

	emoji := strings.Repeat("🎉", 2000)
	m := mustSend(t, a, alice, g.ID, emoji)
	assert.Equal(t, emoji, m.GetContent())
	assert.Equal(t, int64(1), m.GetSeq())

	// The database's CHECK is the backstop of the API's rule.
	_, err := a.DB.ExecContext(context.Background(),
		`INSERT INTO group_messages (id, group_id, sender_id, client_message_id, content, seq, change_seq) VALUES (?, ?, ?, 'raw', ?, 99, 99)`,
		db.NewID(), g.ID, alice.UserID, strings.Repeat("a", 2001))
	require.Error(t, err)
	assert.True(t, db.IsCheckViolation(err, "group_messages_content"), "error: %v", err)
	assert.Equal(t, 1, messageCount(t, a, g.ID))
}

func TestSendMessage_RetryStoresOneRow(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 1)
	first, err := send(a, g.Members[0], g.ID, "hello", "client-1")
	require.NoError(t, err)
	again, err := send(a, g.Members[0], g.ID, "hello", "client-1")
	require.NoError(t, err)
	assert.Equal(t, first.GetId(), again.GetId())
	assert.Equal(t, first.GetSeq(), again.GetSeq())
	assert.Equal(t, 1, messageCount(t, a, g.ID))
	next := mustSend(t, a, g.Members[0], g.ID, "next")
	assert.Equal(t, first.GetSeq()+1, next.GetSeq(), "the retry spent no sequence")
}

func TestSendMessage_OnlyMembersWithoutBan(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 1)
	outsider := a.NewUser(t, newPhone())
	_, err := send(a, outsider, g.ID, "hi", "x")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	gid := uuid.MustParse(g.ID)
	_, err = a.DB.NewInsert().Model(&db.UserBan{ID: db.NewID(), UserID: uuid.MustParse(g.Members[0].UserID),
		Scope: "group", GroupID: &gid, Reason: "spam"}).Exec(context.Background())
	require.NoError(t, err)
	_, err = send(a, g.Members[0], g.ID, "hi", "y")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	assert.Contains(t, err.Error(), "banned")
	assert.Zero(t, messageCount(t, a, g.ID))
}

func TestEditMessage_SenderWithinFifteenMinutes(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 2)
	alice, bob := g.Members[0], g.Members[1]
	m := mustSend(t, a, alice, g.ID, "helo")
	ctx := context.Background()

	_, err := a.Chat.EditMessage(ctx, testenv.As(bob, &socialv1.EditMessageRequest{MessageId: m.GetId(), Content: "x"}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	edited, err := a.Chat.EditMessage(ctx, testenv.As(alice, &socialv1.EditMessageRequest{MessageId: m.GetId(), Content: "hello"}))
	require.NoError(t, err)
	assert.True(t, edited.Msg.GetMessage().GetEdited())
	assert.Equal(t, m.GetSeq()+1, edited.Msg.GetMessage().GetChangeSeq())

	_, err = a.DB.ExecContext(ctx, `UPDATE group_messages SET sent_at = sent_at - interval '16 minutes' WHERE id = ?`, m.GetId())
	require.NoError(t, err)
	_, err = a.Chat.EditMessage(ctx, testenv.As(alice, &socialv1.EditMessageRequest{MessageId: m.GetId(), Content: "late"}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "15 minutes")

	// The host moderates: a delete empties the message and is audited.
	del, err := a.Chat.DeleteMessage(ctx, testenv.As(g.Host, &socialv1.DeleteMessageRequest{MessageId: m.GetId()}))
	require.NoError(t, err)
	assert.Empty(t, del.Msg.GetMessage().GetContent())
	assert.Equal(t, g.Host.UserID, del.Msg.GetMessage().GetDeletedBy())
	audits, err := db.AuditLogsFor(ctx, a.DB, "group_message", m.GetId())
	require.NoError(t, err)
	assert.Len(t, audits, 1)
}

// chatWatch is one open WatchMessages stream, read in the background.
type chatWatch struct {
	events chan *socialv1.ChatEvent // closed when the stream ends
	ended  chan error
	cancel context.CancelFunc
}

// openChatWatch opens a stream as s and returns once the server
// registered it; heartbeats are dropped.
func openChatWatch(t *testing.T, a *testenv.API, s testenv.Session, req *socialv1.WatchMessagesRequest) *chatWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := a.Chat.WatchMessages(ctx, testenv.As(s, req))
	require.NoError(t, err)
	stream.ResponseHeader()
	w := &chatWatch{events: make(chan *socialv1.ChatEvent, 10000), ended: make(chan error, 1), cancel: cancel}
	go func() {
		defer close(w.events)
		for stream.Receive() {
			if ev := stream.Msg().GetEvent(); ev.GetKind() != socialv1.ChatEvent_KIND_HEARTBEAT {
				w.events <- ev
			}
		}
		w.ended <- stream.Err()
	}()
	return w
}

// next waits for the stream's next n events.
func (w *chatWatch) next(t *testing.T, n int) []*socialv1.ChatEvent {
	t.Helper()
	var got []*socialv1.ChatEvent
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case ev, ok := <-w.events:
			if !ok {
				t.Fatalf("the stream ended after %d of %d events: %v", len(got), n, <-w.ended)
			}
			got = append(got, ev)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(got), n)
		}
	}
	return got
}

func contents(evs []*socialv1.ChatEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.GetMessage().GetContent()
	}
	return out
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %d", prefix, i))
	}
	return out
}

func TestWatchMessages_SenderOnOneProcessWatcherOnAnother(t *testing.T) {
	a := setup(t)
	b := a.Peer(t)
	g := newChatGroup(t, a, 2)
	alice, bob := g.Members[0], g.Members[1]
	w := openChatWatch(t, a, alice, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}})

	want := numbered("msg", 0, 30)
	for _, c := range want {
		mustSend(t, b, bob, g.ID, c)
	}
	got := w.next(t, len(want))
	assert.Equal(t, want, contents(got))
	for i, ev := range got {
		assert.Equal(t, socialv1.ChatEvent_KIND_CREATED, ev.GetKind())
		assert.Equal(t, int64(i+1), ev.GetChangeSeq())
	}

	edited, err := b.Chat.EditMessage(context.Background(), testenv.As(bob, &socialv1.EditMessageRequest{MessageId: got[0].GetMessage().GetId(), Content: "fixed"}))
	require.NoError(t, err)
	ev := w.next(t, 1)[0]
	assert.Equal(t, socialv1.ChatEvent_KIND_EDITED, ev.GetKind())
	assert.Equal(t, edited.Msg.GetMessage().GetChangeSeq(), ev.GetChangeSeq())
	assert.Equal(t, "fixed", ev.GetMessage().GetContent())
}

func TestWatchMessages_ResumeGetsEachMissedChangeOnce(t *testing.T) {
	a := setup(t)
	b := a.Peer(t)
	g := newChatGroup(t, a, 2)
	alice, bob := g.Members[0], g.Members[1]
	w := openChatWatch(t, a, alice, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}})
	for _, c := range numbered("seen", 0, 5) {
		mustSend(t, b, bob, g.ID, c)
	}
	last := w.next(t, 5)[4].GetChangeSeq()
	w.cancel()

	missed := numbered("missed", 0, 7)
	for _, c := range missed {
		mustSend(t, b, bob, g.ID, c)
	}
	resumed := openChatWatch(t, a, alice, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID},
		AfterSeq: map[string]int64{g.ID: last}})
	after := numbered("after", 0, 3)
	for _, c := range after {
		mustSend(t, b, bob, g.ID, c)
	}
	assert.Equal(t, append(missed, after...), contents(resumed.next(t, 10)))
	select {
	case ev := <-resumed.events:
		t.Fatalf("an extra event: %v", ev)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestWatchMessages_SixthStreamOfAUserIsRefused(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 1)
	alice := g.Members[0]
	req := &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}}
	for range 5 {
		openChatWatch(t, a, alice, req)
	}
	sixth := openChatWatch(t, a, alice, req)
	select {
	case err := <-sixth.ended:
		testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	case <-time.After(5 * time.Second):
		t.Fatal("the sixth stream was not refused")
	}
}

func TestWatchMessages_RemovedMemberGetsRemoved(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 2)
	alice, bob := g.Members[0], g.Members[1]
	w := openChatWatch(t, a, alice, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}})
	ctx := context.Background()
	require.NoError(t, a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := db.RemoveGroupMember(ctx, tx, uuid.MustParse(g.ID), uuid.MustParse(alice.UserID))
		return err
	}))
	ev := w.next(t, 1)[0]
	assert.Equal(t, socialv1.ChatEvent_KIND_REMOVED, ev.GetKind())
	assert.Equal(t, g.ID, ev.GetGroupId())
	select {
	case err := <-w.ended:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
	mustSend(t, a, bob, g.ID, "after alice left")
	_, err := send(a, alice, g.ID, "still here?", "late")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestChatPush_OnlyMembersWithoutAStream(t *testing.T) {
	a := setup(t)
	g := newChatGroup(t, a, 3)
	alice, bob, carol := g.Members[0], g.Members[1], g.Members[2]
	openChatWatch(t, a, bob, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}})
	// A push covers the messages of one minute: sent across a minute's end,
	// the three would be two pushes.
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 5*time.Second {
		time.Sleep(left)
	}
	for range 3 {
		mustSend(t, a, alice, g.ID, "party at the bar")
	}
	ctx := context.Background()
	_, err := a.DB.ExecContext(ctx, `UPDATE river_job SET scheduled_at = now() WHERE kind = 'social.chat_push'`)
	require.NoError(t, err)
	var bodies []string
	testenv.Eventually(t, 20*time.Second, func() bool {
		bodies = nil
		_ = a.DB.NewSelect().Table("notification_notices").Column("body").Where("dedupe_key LIKE ?", "chat/"+g.ID+"/%").
			Where("user_id IN (?)", bun.In([]string{alice.UserID, bob.UserID, carol.UserID})).Scan(ctx, &bodies)
		return len(bodies) > 0
	}, "no chat push sent")
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, a.DB.NewSelect().Table("notification_notices").Column("body").Where("dedupe_key LIKE ?", "chat/"+g.ID+"/%").Scan(ctx, &bodies))
	assert.Equal(t, []string{"3 new messages in Front row"}, bodies, "only carol: alice sent them, bob watches")
}

func TestWatchMessages_SlowReaderDelaysNoOne(t *testing.T) {
	a := setup(t)
	b := a.Peer(t)
	g := newChatGroup(t, a, 3)
	alice, bob, carol := g.Members[0], g.Members[1], g.Members[2]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow, err := a.Chat.WatchMessages(ctx, testenv.As(carol, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}}))
	require.NoError(t, err)
	slow.ResponseHeader() // registered; never read
	fast := openChatWatch(t, a, alice, &socialv1.WatchMessagesRequest{GroupIds: []string{g.ID}})

	want := numbered(strings.Repeat("x", 1900), 0, 400)
	for _, c := range want {
		mustSend(t, b, bob, g.ID, c)
	}
	assert.Equal(t, want, contents(fast.next(t, len(want))))
}
