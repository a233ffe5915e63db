package db

// What reviewers and members read across runs: the review queue, the
// quest leaderboards (sums of the points ledger) and a member's standing
// in the quests listed to them.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// ReviewQueueFilter narrows an organization's submissions in review.
type ReviewQueueFilter struct {
	OrganizationID uuid.UUID
	// QuestID, when set, keeps that quest's.
	QuestID *uuid.UUID
	// OverdueBefore, when set, keeps those due before it (now).
	OverdueBefore *time.Time
}

// ReviewQueueItem is a submission in review with what a reviewer reads.
type ReviewQueueItem struct {
	ID          uuid.UUID       `bun:"id,type:uuid"`
	QuestID     uuid.UUID       `bun:"quest_id,type:uuid"`
	QuestTitle  string          `bun:"quest_title"`
	UserID      uuid.UUID       `bun:"user_id,type:uuid"`
	UserName    string          `bun:"user_name"`
	TaskID      uuid.UUID       `bun:"quest_task_id,type:uuid"`
	TaskTitle   string          `bun:"task_title"`
	Kind        string          `bun:"kind"`
	Period      time.Time       `bun:"period"`
	Submission  json.RawMessage `bun:"submission,type:jsonb"`
	Attempts    int             `bun:"attempts"`
	SubmittedAt time.Time       `bun:"submitted_at"`
	ReviewDueAt time.Time       `bun:"review_due_at"`
}

// ReviewQueuePage returns up to limit submissions in review of f, the
// earliest deadline first, after (lastDue, lastID) of the previous page
// (zero on the first).
func ReviewQueuePage(ctx context.Context, idb bun.IDB, f ReviewQueueFilter, lastDue time.Time, lastID uuid.UUID, limit int) ([]ReviewQueueItem, error) {
	var rows []ReviewQueueItem
	q := idb.NewSelect().TableExpr("user_quest_tasks AS uqt").
		Join("JOIN quests AS qst ON qst.id = uqt.quest_id").
		Join("JOIN quest_tasks AS qtk ON qtk.id = uqt.quest_task_id").
		Join("LEFT JOIN user_profiles AS up ON up.user_id = uqt.user_id").
		ColumnExpr("uqt.id, uqt.quest_id, qst.title AS quest_title, uqt.user_id, coalesce(up.name, '') AS user_name").
		ColumnExpr("uqt.quest_task_id, qtk.title AS task_title, qtk.kind, uqt.period, uqt.submission, uqt.attempts").
		ColumnExpr("uqt.submitted_at, uqt.review_due_at").
		Where("uqt.organization_id = ? AND uqt.status = ?", f.OrganizationID, enums.UserTaskInReview)
	if f.QuestID != nil {
		q.Where("uqt.quest_id = ?", *f.QuestID)
	}
	if f.OverdueBefore != nil {
		q.Where("uqt.review_due_at < ?", *f.OverdueBefore)
	}
	if lastID != uuid.Nil {
		q.Where("(uqt.review_due_at, uqt.id) > (?, ?)", lastDue, lastID)
	}
	if err := q.OrderExpr("uqt.review_due_at, uqt.id").Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("review queue of %s: %w", f.OrganizationID, err)
	}
	return rows, nil
}

// LeaderboardScope is whose quest points a leaderboard sums: one quest's
// or the quests of one conference, from Since on (zero: all time).
type LeaderboardScope struct {
	OrganizationID uuid.UUID
	QuestID        *uuid.UUID
	ConferenceID   *uuid.UUID
	Since          time.Time
}

// QuestBoardRow is one member's place: equal points share a rank.
type QuestBoardRow struct {
	Rank   int       `bun:"rank"`
	UserID uuid.UUID `bun:"user_id,type:uuid"`
	Name   string    `bun:"name"`
	Points int64     `bun:"points"`
}

// QuestLeaderboard returns the first limit places of s (by rank, then
// user ID) and userID's own place (zero Rank when they have no points).
func QuestLeaderboard(ctx context.Context, idb bun.IDB, s LeaderboardScope, limit int, userID uuid.UUID) ([]QuestBoardRow, QuestBoardRow, error) {
	var top []QuestBoardRow
	err := idb.NewSelect().With("ranked", rankedQuestPoints(idb, s)).TableExpr("ranked").
		Join("LEFT JOIN user_profiles AS up ON up.user_id = ranked.user_id").
		ColumnExpr("ranked.rank, ranked.user_id, coalesce(up.name, '') AS name, ranked.points").
		OrderExpr("ranked.rank, ranked.user_id").Limit(int64(limit)).Scan(ctx, &top)
	if err != nil {
		return nil, QuestBoardRow{}, fmt.Errorf("quest leaderboard: %w", err)
	}
	var own []QuestBoardRow
	err = idb.NewSelect().With("ranked", rankedQuestPoints(idb, s)).TableExpr("ranked").
		ColumnExpr("ranked.rank, ranked.user_id, '' AS name, ranked.points").
		Where("ranked.user_id = ?", userID).Scan(ctx, &own)
	if err != nil {
		return nil, QuestBoardRow{}, fmt.Errorf("own place on the quest leaderboard: %w", err)
	}
	if len(own) == 0 {
		return top, QuestBoardRow{UserID: userID}, nil
	}
	return top, own[0], nil
}

// rankedQuestPoints sums the ledger's quest entries of s per member and
// ranks the members with points (RANK: ties share a place, the next one
// skips).
func rankedQuestPoints(idb bun.IDB, s LeaderboardScope) *bun.SelectQuery {
	sums := idb.NewSelect().Model((*LedgerEntry)(nil)).
		ColumnExpr("pl.user_id, sum(pl.amount) AS points").
		Where("pl.organization_id = ? AND pl.type = ? AND pl.reference_type = ?", s.OrganizationID, enums.LedgerQuest, "quest")
	if s.QuestID != nil {
		sums.Where("pl.reference_id = ?", s.QuestID.String())
	}
	if s.ConferenceID != nil {
		sums.Where("pl.reference_id IN (SELECT id::text FROM quests WHERE conference_id = ?)", *s.ConferenceID)
	}
	if !s.Since.IsZero() {
		sums.Where("pl.created_at >= ?", s.Since)
	}
	sums.Group("pl.user_id").Having("sum(pl.amount) > 0")
	return idb.NewSelect().TableExpr("(?) AS sums", sums).
		ColumnExpr("sums.user_id, sums.points, rank() OVER (ORDER BY sums.points DESC)::int AS rank")
}

// MemberQuestStanding is a member's registration in a quest and the
// statuses of their tasks in the latest period they submitted in.
type MemberQuestStanding struct {
	QuestID      uuid.UUID `bun:"quest_id,type:uuid"`
	Registration string    `bun:"registration"`
	// Completed: the latest period they submitted in is completed.
	Completed bool `bun:"completed"`
	InReview  bool `bun:"in_review"`
	Verifying bool `bun:"verifying"`
}

// MemberQuestStandings returns userID's standing in each of questIDs they
// registered for, by quest.
func MemberQuestStandings(ctx context.Context, idb bun.IDB, userID uuid.UUID, questIDs []uuid.UUID) (map[uuid.UUID]MemberQuestStanding, error) {
	out := make(map[uuid.UUID]MemberQuestStanding, len(questIDs))
	if len(questIDs) == 0 {
		return out, nil
	}
	var rows []MemberQuestStanding
	err := idb.NewSelect().TableExpr("quest_registration_requests AS qreg").
		ColumnExpr("qreg.quest_id, qreg.status AS registration").
		ColumnExpr(`EXISTS (SELECT 1 FROM quest_completions c WHERE c.quest_id = qreg.quest_id AND c.user_id = qreg.user_id
			AND c.period >= coalesce((SELECT max(period) FROM user_quest_tasks u WHERE u.quest_id = qreg.quest_id AND u.user_id = qreg.user_id), c.period)) AS completed`).
		ColumnExpr(`EXISTS (SELECT 1 FROM user_quest_tasks u WHERE u.quest_id = qreg.quest_id AND u.user_id = qreg.user_id AND u.status = ?) AS in_review`, enums.UserTaskInReview).
		ColumnExpr(`EXISTS (SELECT 1 FROM user_quest_tasks u WHERE u.quest_id = qreg.quest_id AND u.user_id = qreg.user_id AND u.status = ?) AS verifying`, enums.UserTaskVerifying).
		Where("qreg.user_id = ? AND qreg.quest_id IN (?)", userID, bun.In(questIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("standing of %s in %d quests: %w", userID, len(questIDs), err)
	}
	for _, r := range rows {
		out[r.QuestID] = r
	}
	return out, nil
}
