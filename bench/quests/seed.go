package main

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

const (
	// code is the quest task's secret code, as every member submits it.
	code = "BOOTH-7"
	// points are paid once per completed run.
	points = 50
)

// world is the seeded organization, its owner and members, and the quest.
type world struct {
	orgID, ownerID  uuid.UUID
	members         []uuid.UUID
	questID, taskID string
}

// seedMembersSQL writes the members with generate_series (users, names and
// memberships), as bench/leaderboard does.
var seedMembersSQL = []string{
	`INSERT INTO users (id, phone)
	 SELECT gen_random_uuid(), '+1555' || lpad(n::text, 9, '0') FROM generate_series(1, ?1) n`,
	`INSERT INTO user_profiles (id, user_id, name)
	 SELECT gen_random_uuid(), id, 'Member ' || substr(phone, 5) FROM users WHERE phone LIKE '+1555%'`,
	`INSERT INTO organization_members (id, organization_id, user_id, role)
	 SELECT gen_random_uuid(), ?0, id, 'member' FROM users WHERE phone LIKE '+1555%'`,
}

// seed writes the organization, its owner and members in one transaction.
func seed(ctx context.Context, d *db.DB, members int) (*world, error) {
	w := &world{orgID: db.NewID()}
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, slug) VALUES (?, 'Quests bench', ?)`,
			w.orgID, "quests-"+w.orgID.String()[24:]); err != nil {
			return fmt.Errorf("create organization: %w", err)
		}
		owner, _, err := db.CreateUserWithPhone(ctx, tx, "+14155550001")
		if err != nil {
			return fmt.Errorf("create owner: %w", err)
		}
		w.ownerID = owner.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, ?)`,
			db.NewID(), w.orgID, w.ownerID, db.RoleOwner); err != nil {
			return fmt.Errorf("make the owner: %w", err)
		}
		for _, stmt := range seedMembersSQL {
			if _, err := tx.ExecContext(ctx, stmt, w.orgID, members); err != nil {
				return fmt.Errorf("seed members: %w\n%s", err, stmt)
			}
		}
		return tx.NewSelect().TableExpr("organization_members").Column("user_id").
			Where("organization_id = ? AND role = ?", w.orgID, db.RoleMember).Order("user_id").Scan(ctx, &w.members)
	})
	return w, err
}

// createQuest creates, as the owner, a quest open from an hour ago for a
// week with one required secret_code task, and publishes it.
func createQuest(ctx context.Context, s *stack.Stack, c conferencesv1connect.QuestServiceClient, w *world) error {
	now := time.Now()
	create, err := authed(s, w.ownerID, &conferencesv1.CreateQuestRequest{OrganizationId: w.orgID.String(), Title: "Booth crawl",
		Points: points, StartsAt: timestamppb.New(now.Add(-time.Hour)), EndsAt: timestamppb.New(now.Add(7 * 24 * time.Hour))})
	if err != nil {
		return err
	}
	q, err := c.CreateQuest(ctx, create)
	if err != nil {
		return fmt.Errorf("create the quest: %w", err)
	}
	w.questID = q.Msg.GetQuest().GetId()
	add, err := authed(s, w.ownerID, &conferencesv1.AddTaskRequest{QuestId: w.questID, Title: "Find booth 7",
		Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, Required: true, Config: &structpb.Struct{}, Code: code})
	if err != nil {
		return err
	}
	t, err := c.AddTask(ctx, add)
	if err != nil {
		return fmt.Errorf("add the secret_code task: %w", err)
	}
	w.taskID = t.Msg.GetTask().GetId()
	publish, err := authed(s, w.ownerID, &conferencesv1.PublishQuestRequest{QuestId: w.questID})
	if err != nil {
		return err
	}
	if _, err := c.PublishQuest(ctx, publish); err != nil {
		return fmt.Errorf("publish the quest: %w", err)
	}
	return nil
}

// authed is msg sent with userID's access token.
func authed[T any](s *stack.Stack, userID uuid.UUID, msg *T) (*connect.Request[T], error) {
	tok, err := s.Token(userID)
	if err != nil {
		return nil, err
	}
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+tok)
	return req, nil
}
