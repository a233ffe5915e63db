package main

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
)

// world is the seeded event, its chat group and members, and the second
// group the ceiling inserts into.
type world struct {
	groupID, ceilingGroupID uuid.UUID
	members                 []uuid.UUID
	// tokens are the members' access tokens, by index.
	tokens []string
}

// hostPhone is the host's number, outside the members' +1555 range.
const hostPhone = "+14155550100"

// seedMembersSQL writes the members with generate_series, as
// bench/leaderboard does, and makes them members of the group.
var seedMembersSQL = []string{
	`INSERT INTO users (id, phone)
	 SELECT gen_random_uuid(), '+1555' || lpad(n::text, 9, '0') FROM generate_series(1, ?1) n`,
	`INSERT INTO user_profiles (id, user_id, name)
	 SELECT gen_random_uuid(), id, 'Member ' || substr(phone, 5) FROM users WHERE phone LIKE '+1555%'`,
	`INSERT INTO group_members (group_id, user_id)
	 SELECT ?0, id FROM users WHERE phone LIKE '+1555%'`,
	`UPDATE groups SET member_count = ?1 WHERE id = ?0`,
}

// seed writes the host, a published event under way, the members and the
// two groups in one transaction, and mints the members' tokens.
func seed(ctx context.Context, s *stack.Stack, members int) (*world, error) {
	w := &world{}
	err := s.DB().InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		host, _, err := db.CreateUserWithPhone(ctx, tx, hostPhone)
		if err != nil {
			return fmt.Errorf("create host: %w", err)
		}
		ev, err := insertEvent(ctx, tx, host)
		if err != nil {
			return err
		}
		group := &db.Group{EventID: ev.ID, CreatedBy: &host.ID, Name: "Front row", MaxMembers: int32(members)}
		ceiling := &db.Group{EventID: ev.ID, CreatedBy: &host.ID, Name: "Ceiling", MaxMembers: 1}
		for _, g := range []*db.Group{group, ceiling} {
			if err := db.InsertGroup(ctx, tx, g); err != nil {
				return err
			}
		}
		w.groupID, w.ceilingGroupID = group.ID, ceiling.ID
		for _, stmt := range seedMembersSQL {
			if _, err := tx.ExecContext(ctx, stmt, w.groupID, members); err != nil {
				return fmt.Errorf("seed members: %w\n%s", err, stmt)
			}
		}
		return tx.NewSelect().TableExpr("group_members").Column("user_id").
			Where("group_id = ?", w.groupID).Order("user_id").Scan(ctx, &w.members)
	})
	if err != nil {
		return nil, err
	}
	w.tokens = make([]string, len(w.members))
	for i, id := range w.members {
		if w.tokens[i], err = s.Token(id); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// insertEvent writes a free, published, public event that started an
// hour ago: its groups are open to their members.
func insertEvent(ctx context.Context, idb bun.IDB, host *db.User) (*db.Event, error) {
	ev := &db.Event{ID: db.NewID(), HostUserID: host.ID, Title: "Chat fan-out", StartsAt: time.Now().Add(-time.Hour),
		Timezone: "Asia/Kolkata", Capacity: 1000, MaxSeatsPerRequest: 1, AllowedGenders: "all",
		Currency: "INR", GSTBps: 1800, FeeMode: "absorbed", Visibility: "public", Status: db.EventPublished,
		HoldMinutes: 15, RefundCutoffHours: 24, CoverImages: []string{}}
	ev.EndsAt = ev.StartsAt.Add(6 * time.Hour)
	ev.Slug = "chat-fanout-" + ev.ID.String()[24:]
	if err := db.InsertEvent(ctx, idb, ev); err != nil {
		return nil, fmt.Errorf("create event: %w", err)
	}
	return ev, nil
}

// authed is msg sent with token.
func authed[T any](token string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+token)
	return req
}
