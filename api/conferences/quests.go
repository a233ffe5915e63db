package conferences

// QuestService's authoring: quests (this file) and their tasks
// (quests_tasks.go) are plain rows written by the organization's owners
// and admins; members' runs go through the quest-run workflow
// (quests_runs.go); the review queue and leaderboards are read from the
// database (quests_board.go).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
	"github.com/convene/convene/workflows"
)

// questsPageSize is a quest list's page when the request has none.
const questsPageSize = 50

// defaultReviewSLAHours is a quest's review deadline when none is given.
const defaultReviewSLAHours = 24

// reviewerRoles may decide registrations and proofs.
var reviewerRoles = []string{db.RoleOwner, db.RoleAdmin, db.RoleApprover}

// questServer implements convene.conferences.v1.QuestService.
type questServer struct {
	Deps
	conferencesv1connect.UnimplementedQuestServiceHandler
}

var _ conferencesv1connect.QuestServiceHandler = (*questServer)(nil)

// questService is QuestService, ready to mount.
func questService(d Deps) rpc.Service {
	return rpc.NewService[conferencesv1connect.QuestServiceHandler](conferencesv1connect.QuestServiceName, &questServer{Deps: d},
		conferencesv1connect.NewQuestServiceHandler)
}

// questSettings are the fields Create and Update share.
type questSettings interface {
	GetTitle() string
	GetDescription() string
	GetCategory() string
	GetFeatured() bool
	GetPoints() int32
	GetRequiresApproval() bool
	GetRecurrence() conferencesv1.QuestRecurrence
	GetRetryCooldownSeconds() int32
	GetReviewSlaHours() int32
}

// CreateQuest creates a draft; owners and admins.
func (s *questServer) CreateQuest(ctx context.Context, req *connect.Request[conferencesv1.CreateQuestRequest]) (*connect.Response[conferencesv1.CreateQuestResponse], error) {
	m := req.Msg
	q := &db.Quest{ID: db.NewID(), OrganizationID: uuid.MustParse(m.GetOrganizationId()), ConferenceID: rpc.OptionalID(m.GetConferenceId()),
		Status: enums.QuestDraft}
	if err := applyQuestSettings(q, m, m.MaxParticipants, m.GetStartsAt().AsTime(), m.GetEndsAt().AsTime()); err != nil {
		return nil, err
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, q.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		callerID := rpc.CallerID(ctx)
		q.CreatedBy = &callerID
		if err := db.InsertQuest(ctx, tx, q); err != nil {
			return questChangeError(err)
		}
		return rpc.Audit(ctx, tx, &callerID, &q.OrganizationID, "quest", q.ID.String(), "create", questAudit(q))
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.CreateQuestResponse{Quest: questToProto(q, nil)}), nil
}

// UpdateQuest replaces a quest's settings; owners and admins. An archived
// quest is FailedPrecondition.
func (s *questServer) UpdateQuest(ctx context.Context, req *connect.Request[conferencesv1.UpdateQuestRequest]) (*connect.Response[conferencesv1.UpdateQuestResponse], error) {
	m := req.Msg
	var q *db.Quest
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if q, err = s.questForWrite(ctx, tx, uuid.MustParse(m.GetQuestId())); err != nil {
			return err
		}
		if q.Status == enums.QuestArchived {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the quest is archived"))
		}
		if err := applyQuestSettings(q, m, m.MaxParticipants, m.GetStartsAt().AsTime(), m.GetEndsAt().AsTime()); err != nil {
			return err
		}
		if err := db.UpdateQuestSettings(ctx, tx, q); err != nil {
			return questChangeError(err)
		}
		callerID := rpc.CallerID(ctx)
		return rpc.Audit(ctx, tx, &callerID, &q.OrganizationID, "quest", q.ID.String(), "update", questAudit(q))
	})
	if err != nil {
		return nil, err
	}
	return questAnswer(ctx, s, q, func(p *conferencesv1.Quest) *connect.Response[conferencesv1.UpdateQuestResponse] {
		return connect.NewResponse(&conferencesv1.UpdateQuestResponse{Quest: p})
	})
}

// PublishQuest opens a draft with tasks to the members.
func (s *questServer) PublishQuest(ctx context.Context, req *connect.Request[conferencesv1.PublishQuestRequest]) (*connect.Response[conferencesv1.PublishQuestResponse], error) {
	var q *db.Quest
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if q, err = s.questForWrite(ctx, tx, uuid.MustParse(req.Msg.GetQuestId())); err != nil {
			return err
		}
		if q.Status != enums.QuestDraft {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the quest is %s, not a draft", q.Status))
		}
		tasks, err := db.QuestTasks(ctx, tx, q.ID)
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the quest has no tasks; AddTask first"))
		}
		if err := db.SetQuestStatus(ctx, tx, q, enums.QuestPublished, s.Now()); err != nil {
			return err
		}
		callerID := rpc.CallerID(ctx)
		return rpc.Audit(ctx, tx, &callerID, &q.OrganizationID, "quest", q.ID.String(), "publish", nil)
	})
	if err != nil {
		return nil, err
	}
	return questAnswer(ctx, s, q, func(p *conferencesv1.Quest) *connect.Response[conferencesv1.PublishQuestResponse] {
		return connect.NewResponse(&conferencesv1.PublishQuestResponse{Quest: p})
	})
}

// ArchiveQuest closes a quest and ends its open runs. The runs are told
// after the commit: a run that misses the signal still ends at the
// quest's end, and nobody joins an archived quest.
func (s *questServer) ArchiveQuest(ctx context.Context, req *connect.Request[conferencesv1.ArchiveQuestRequest]) (*connect.Response[conferencesv1.ArchiveQuestResponse], error) {
	var q *db.Quest
	var open []uuid.UUID
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if q, err = s.questForWrite(ctx, tx, uuid.MustParse(req.Msg.GetQuestId())); err != nil || q.Status == enums.QuestArchived {
			return err
		}
		if err := db.SetQuestStatus(ctx, tx, q, enums.QuestArchived, s.Now()); err != nil {
			return err
		}
		if open, err = db.OpenQuestMembers(ctx, tx, q.ID); err != nil {
			return err
		}
		callerID := rpc.CallerID(ctx)
		return rpc.Audit(ctx, tx, &callerID, &q.OrganizationID, "quest", q.ID.String(), "archive", map[string]any{"open_runs": len(open)})
	})
	if err != nil {
		return nil, err
	}
	if err := s.closeRuns(ctx, q.ID, open); err != nil {
		return nil, err
	}
	return questAnswer(ctx, s, q, func(p *conferencesv1.Quest) *connect.Response[conferencesv1.ArchiveQuestResponse] {
		return connect.NewResponse(&conferencesv1.ArchiveQuestResponse{Quest: p})
	})
}

// closeRuns signals quest-closed to each member's run; a run already
// closed (NotFound) is fine.
func (s *questServer) closeRuns(ctx context.Context, questID uuid.UUID, members []uuid.UUID) error {
	for _, userID := range members {
		err := s.Temporal.SignalWorkflow(ctx, workflows.QuestRunWorkflowID(questID.String(), userID.String()), "", workflows.SignalQuestClosed, nil)
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return fmt.Errorf("close the run of %s in quest %s: %w", userID, questID, err)
		}
	}
	return nil
}

// ListQuests pages through an organization's quests; drafts for its
// owners and admins only.
func (s *questServer) ListQuests(ctx context.Context, req *connect.Request[conferencesv1.ListQuestsRequest]) (*connect.Response[conferencesv1.ListQuestsResponse], error) {
	m := req.Msg
	f := db.QuestFilter{OrganizationID: uuid.MustParse(m.GetOrganizationId()), Featured: m.Featured, Category: m.GetCategory(),
		ConferenceID: rpc.OptionalID(m.GetConferenceId())}
	page, err := rpc.TimePage("ListQuests", m.GetPageToken(), m.GetPageSize(), questsPageSize)
	if err != nil {
		return nil, err
	}
	role, err := rpc.OrgAccess(ctx, s.DB, f.OrganizationID, rpc.AnyRole)
	if err != nil {
		return nil, err
	}
	f.WithDrafts = isManager(role)
	rows, err := db.QuestsPage(ctx, s.DB, f, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(q *db.Quest) (time.Time, uuid.UUID) { return q.StartsAt, q.ID })
	ids := make([]uuid.UUID, 0, len(rows))
	for _, q := range rows {
		ids = append(ids, q.ID)
	}
	standings, err := db.MemberQuestStandings(ctx, s.DB, rpc.CallerID(ctx), ids)
	if err != nil {
		return nil, err
	}
	out := &conferencesv1.ListQuestsResponse{NextPageToken: next}
	for i := range rows {
		p := questToProto(&rows[i], nil)
		p.MyStatus = myQuestStatus(standings[rows[i].ID])
		out.Quests = append(out.Quests, p)
	}
	return connect.NewResponse(out), nil
}

// GetQuest returns a quest with its tasks' public config.
func (s *questServer) GetQuest(ctx context.Context, req *connect.Request[conferencesv1.GetQuestRequest]) (*connect.Response[conferencesv1.GetQuestResponse], error) {
	q, _, err := s.questForRead(ctx, uuid.MustParse(req.Msg.GetQuestId()))
	if err != nil {
		return nil, err
	}
	return questAnswer(ctx, s, q, func(p *conferencesv1.Quest) *connect.Response[conferencesv1.GetQuestResponse] {
		return connect.NewResponse(&conferencesv1.GetQuestResponse{Quest: p})
	})
}

// questAnswer is q with its tasks and the caller's standing, wrapped by
// answer.
func questAnswer[R any](ctx context.Context, s *questServer, q *db.Quest, answer func(*conferencesv1.Quest) *R) (*R, error) {
	tasks, err := db.QuestTasks(ctx, s.DB, q.ID)
	if err != nil {
		return nil, err
	}
	standings, err := db.MemberQuestStandings(ctx, s.DB, rpc.CallerID(ctx), []uuid.UUID{q.ID})
	if err != nil {
		return nil, err
	}
	p := questToProto(q, tasks)
	p.MyStatus = myQuestStatus(standings[q.ID])
	s.fillTrackedLinks(ctx, p)
	return answer(p), nil
}

// fillTrackedLinks gives each url_visit task the caller's own tracked
// link: following it records the visit the task's check looks for.
func (s *questServer) fillTrackedLinks(ctx context.Context, p *conferencesv1.Quest) {
	for _, t := range p.GetTasks() {
		if t.GetKind() == conferencesv1.QuestTaskKind_QUEST_TASK_KIND_URL_VISIT {
			t.TrackedUrl = TrackedLink(s.PublicURL, s.LinkKey, t.GetId(), rpc.CallerID(ctx).String())
		}
	}
}

// questForWrite loads and locks a quest for its organization's owners and
// admins; another organization's caller is PermissionDenied.
func (s *questServer) questForWrite(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.Quest, error) {
	q, err := db.QuestForUpdate(ctx, tx, id)
	if err != nil {
		return nil, questLookupError(err)
	}
	if _, err := rpc.OrgAccess(ctx, tx, q.OrganizationID, rpc.ManagerRoles); err != nil {
		return nil, err
	}
	return q, nil
}

// questForRead loads a quest the caller may see: their organization's,
// drafts only for its owners and admins. Anything else is NotFound. It
// returns the caller's role too.
func (s *questServer) questForRead(ctx context.Context, id uuid.UUID) (*db.Quest, string, error) {
	q, err := db.QuestByID(ctx, s.DB, id)
	if err != nil {
		return nil, "", questLookupError(err)
	}
	role, err := rpc.OrgAccess(ctx, s.DB, q.OrganizationID, rpc.AnyRole)
	if err != nil || (q.Status == enums.QuestDraft && !isManager(role)) {
		return nil, "", questLookupError(db.ErrNotFound)
	}
	return q, role, nil
}

func isManager(role string) bool {
	return role == db.RoleOwner || role == db.RoleAdmin || role == rpc.StaffRole
}

// applyQuestSettings copies and checks in's settings onto q: the window's
// order, and the defaults of recurrence and review SLA.
func applyQuestSettings(q *db.Quest, in questSettings, maxParticipants *int32, startsAt, endsAt time.Time) error {
	if !startsAt.Before(endsAt) {
		return rpc.InvalidField("ends_at", "must be after starts_at")
	}
	q.Title, q.Description, q.Category, q.Featured = in.GetTitle(), in.GetDescription(), in.GetCategory(), in.GetFeatured()
	q.Points, q.RequiresApproval = int(in.GetPoints()), in.GetRequiresApproval()
	q.Recurrence = recurrences.NameOr(in.GetRecurrence(), enums.RecurrenceNone)
	q.StartsAt, q.EndsAt = startsAt, endsAt
	q.MaxParticipants = nil
	if maxParticipants != nil {
		n := int(*maxParticipants)
		q.MaxParticipants = &n
	}
	q.RetryCooldownSeconds = int(in.GetRetryCooldownSeconds())
	q.ReviewSLAHours = int(in.GetReviewSlaHours())
	if q.ReviewSLAHours == 0 {
		q.ReviewSLAHours = defaultReviewSLAHours
	}
	return nil
}

func questAudit(q *db.Quest) map[string]any {
	return map[string]any{"title": q.Title, "points": q.Points, "recurrence": q.Recurrence, "starts_at": q.StartsAt,
		"ends_at": q.EndsAt, "max_participants": q.MaxParticipants, "requires_approval": q.RequiresApproval,
		"conference_id": rpc.IDString(q.ConferenceID)}
}

func questLookupError(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("quest not found"))
	}
	return err
}

// questChangeError maps the refusals of a quest or task write to their
// codes.
func questChangeError(err error) error {
	switch {
	case errors.Is(err, db.ErrConferenceNotInOrg):
		return connect.NewError(connect.CodeNotFound, fmt.Errorf("conference_id: %w", db.ErrConferenceNotInOrg))
	case errors.Is(err, db.ErrQuestCapacity):
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("max_participants: %w", db.ErrQuestCapacity))
	case errors.Is(err, db.ErrQuestNotDraft):
		return connect.NewError(connect.CodeFailedPrecondition, db.ErrQuestNotDraft)
	}
	return err
}
