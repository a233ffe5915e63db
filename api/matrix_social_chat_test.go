package api_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// ChatService in both matrices. A's rows: a group of A's event whose
// owner is its admin, with one message of the owner. B's owner may not
// see the event (NotFound); A's member may see neither the draft event
// nor its group, so every input case is refused before a write, and no
// valid watch stays open.
const (
	fxChatGroupA   = "@chatGroupA"
	fxChatMessageA = "@chatMessageA"
)

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "social chat",
		build: buildChatTopic,
		tenant: []tenantCase{
			{socialv1connect.ChatServiceSendMessageProcedure, hidden, &socialv1.SendMessageRequest{GroupId: fxChatGroupA, Content: "hi", ClientMessageId: "m1"}},
			{socialv1connect.ChatServiceEditMessageProcedure, hidden, &socialv1.EditMessageRequest{MessageId: fxChatMessageA, Content: "hi"}},
			{socialv1connect.ChatServiceDeleteMessageProcedure, hidden, &socialv1.DeleteMessageRequest{MessageId: fxChatMessageA}},
			{socialv1connect.ChatServiceListMessagesProcedure, hidden, &socialv1.ListMessagesRequest{GroupId: fxChatGroupA}},
			{socialv1connect.ChatServiceWatchMessagesProcedure, hidden, &socialv1.WatchMessagesRequest{GroupIds: []string{fxChatGroupA}}},
		},
		input: []inputCase{
			{socialv1connect.ChatServiceSendMessageProcedure, asMemberA, &socialv1.SendMessageRequest{GroupId: fxChatGroupA, Content: "hi", ClientMessageId: "m1"}},
			{socialv1connect.ChatServiceEditMessageProcedure, asMemberA, &socialv1.EditMessageRequest{MessageId: fxChatMessageA, Content: "hi"}},
			{socialv1connect.ChatServiceDeleteMessageProcedure, asMemberA, &socialv1.DeleteMessageRequest{MessageId: fxChatMessageA}},
			{socialv1connect.ChatServiceListMessagesProcedure, asOwnerA, &socialv1.ListMessagesRequest{GroupId: fxChatGroupA, PageSize: 10}},
			{socialv1connect.ChatServiceWatchMessagesProcedure, asMemberA, &socialv1.WatchMessagesRequest{GroupIds: []string{fxChatGroupA},
				AfterSeq: map[string]int64{fxChatGroupA: 1}}},
		},
	})
}

// buildChatTopic adds A's group (straight in the database: GroupService
// is another topic's) and one message sent through the API.
func buildChatTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	g := &db.Group{ID: db.NewID(), EventID: uuid.MustParse(f.orgEvent), Name: "Matrix group", MaxMembers: 10}
	_, err := f.a.DB.NewInsert().Model(g).Exec(ctx)
	require.NoError(t, err)
	require.NoError(t, f.a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.AddGroupMember(ctx, tx, g.ID, uuid.MustParse(f.ownerA.UserID), true)
	}))
	m, err := send(f.a, f.ownerA, g.ID.String(), "hello", "matrix-1")
	require.NoError(t, err)
	return map[string]string{fxChatGroupA: g.ID.String(), fxChatMessageA: m.GetId()}
}
